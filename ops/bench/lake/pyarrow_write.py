"""Writes an Arrow IPC file to zstd Parquet with pyarrow and prints {"seconds": ...} for the write alone.

The Arrow schema already carries the Iceberg field ids as PARQUET:field_id metadata, which
Arrow C++ writes into the Parquet schema; reading the IPC file is not timed.
"""
import json
import sys
import time

import pyarrow.ipc as ipc
import pyarrow.parquet as pq

source, target = sys.argv[1], sys.argv[2]
table = ipc.open_file(source).read_all()
start = time.perf_counter()
pq.write_table(table, target, compression="zstd")
print(json.dumps({"seconds": time.perf_counter() - start}))
