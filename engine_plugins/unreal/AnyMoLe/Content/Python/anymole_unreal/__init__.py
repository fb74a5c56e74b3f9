"""AnyMoLe Bridge for Unreal: the engine-free core of the editor plugin.

Every module here is pure Python (3.9+ syntax, no ``unreal``), tested outside the engine:

- :mod:`.transition`: an AnimSequence sampled into an engine-free :class:`UnrealClip`, the
  request built from it (through ``anymole_client.clip``), the server's limits, the result
  spliced into whole bone tracks (``anymole_client.splice``), pose previews for posing.
- :mod:`.options`: the method catalogue of ``GetServerInfo`` and typed method options.
- :mod:`.settings`: server address, TLS and the bearer token (environment or project files;
  never logged, never written to an asset).
- :mod:`.session`: one job followed on a worker thread (blocking gRPC, no ``grpc.aio``),
  drained on the editor tick; cancellation is ``call.cancel()`` + ``CancelJob``.
- :mod:`.controller`: the job/preview state machine between a session and an editor view.
- :mod:`.bake`: the headless bake of a manifest (``anymole_bake.py``).
- :mod:`.errors`: every failure as one message naming the field it concerns.

:mod:`.adapter` is the one module that imports ``unreal``: it reads and writes AnimSequences,
builds the menus, the dialog, the preview actor, and implements the editor view.
"""

__version__ = "0.1.0"
