"""The object store: where the whole output of every command step is kept.

    keys.py    AWS's key layout for command output and the rules that keep a key in its root
    local.py   LocalObjectStore: a directory under the server's data dir (the default)
    s3.py      S3ObjectStore: a bucket on the S3-compatible service the server is configured with
    stores.py  ObjectStore (the protocol) and OutputStores: which store a command's output goes to

Objects are written whole, once complete (S3 has no append): output that arrives in pieces is
staged elsewhere (``openssm.server.outputs``) and published here when the last byte is in.
"""
