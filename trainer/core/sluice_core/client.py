"""Client of the trainer's batch protocol (trainer/PROTOCOL.md): handshake, Arrow IPC batches, acks."""
from __future__ import annotations

import json
import socket
import struct
from dataclasses import dataclass
from typing import Iterator, Optional

import pyarrow as pa

PROTOCOL_VERSION = 1
FRAME_JSON = 1
FRAME_ARROW = 2


class ProtocolError(RuntimeError):
    """The server said something the protocol does not allow, or reported an error."""


@dataclass
class Batch:
    step: int
    stage: str
    table: pa.Table

    def column(self, name: str):
        """A per-token column as a [rows, seq_len] numpy array (a zero-copy view where Arrow allows)."""
        col = self.table.column(name).combine_chunks()
        return col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), -1)


class BatchClient:
    """One connection to a batch server: `handshake` after connecting, then `batches()`; `ack` each step."""

    def __init__(self, address: str, next_step: Optional[int] = None, timeout: float = 60.0):
        self.sock = _connect(address, timeout)
        self._send({"type": "hello", "version": PROTOCOL_VERSION, **({} if next_step is None else {"next_step": next_step})})
        kind, payload = self._frame()
        message = self._json(kind, payload)
        if message.get("type") != "handshake":
            raise ProtocolError(f"expected a handshake, got {message}")
        self.handshake = message
        # True once the server said every step is done (not merely closed the connection)
        self.ended = False

    def batches(self) -> Iterator[Batch]:
        """Batches until the server says the plan is done (or closes the connection)."""
        while True:
            try:
                kind, payload = self._frame()
            except EOFError:
                return
            if kind == FRAME_JSON:
                message = self._json(kind, payload)
                if message.get("type") == "end":
                    self.ended = True
                    return
                raise ProtocolError(f"unexpected message {message}")
            table = pa.ipc.open_stream(payload).read_all()
            yield Batch(step=int(table.column("step")[0].as_py()), stage=str(table.column("stage")[0].as_py()), table=table)

    def ack(self, step: int, loss: Optional[float], tokens: int) -> None:
        self._send({"type": "ack", "step": step, "loss": loss, "tokens": tokens})

    def close(self) -> None:
        self.sock.close()

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode()
        self.sock.sendall(struct.pack(">IB", len(body), FRAME_JSON) + body)

    def _frame(self) -> tuple[int, bytes]:
        length, kind = struct.unpack(">IB", self._exactly(5))
        return kind, self._exactly(length)

    def _exactly(self, n: int) -> bytes:
        parts = []
        while n > 0:
            chunk = self.sock.recv(min(n, 1 << 20))
            if not chunk:
                raise EOFError("the server closed the connection")
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    @staticmethod
    def _json(kind: int, payload: bytes) -> dict:
        if kind != FRAME_JSON:
            raise ProtocolError(f"expected a JSON frame, got kind {kind}")
        message = json.loads(payload)
        if message.get("type") == "error":
            raise ProtocolError(message.get("message", "error"))
        return message


def _connect(address: str, timeout: float) -> socket.socket:
    """`host:port` for TCP, anything else is a Unix socket path."""
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and "/" not in address:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
    return sock
