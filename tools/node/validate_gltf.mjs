// Run the Khronos glTF validator on each file named on the command line; print one JSON
// line per file: {"path", "errors", "warnings", "infos", "hints", "messages": [...]}.
// Used by tests/gltf_validator.py. Exit status 0 when every file was read (whatever the
// validator found), 2 on a usage or read error.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validator = require("gltf-validator");

if (process.argv.length < 3) {
  console.error("usage: node validate_gltf.mjs FILE.glb...");
  process.exit(2);
}
for (const path of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(path));
  const report = await validator.validateBytes(data, {
    uri: path,
    maxIssues: 100,
    externalResourceFunction: () => Promise.reject(new Error("external resources are not used")),
  });
  const issues = report.issues;
  console.log(JSON.stringify({
    path,
    errors: issues.numErrors,
    warnings: issues.numWarnings,
    infos: issues.numInfos,
    hints: issues.numHints,
    messages: issues.messages.map((m) => ({ code: m.code, severity: m.severity, message: m.message, pointer: m.pointer })),
  }));
}
