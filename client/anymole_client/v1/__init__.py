"""Generated code of the AnyMoLe Bridge wire contract (proto package ``anymole.v1``).

Do not edit: produced by ``tools/gen_protos.py`` from ``proto/anymole/v1/*.proto``.
"""
