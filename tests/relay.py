"""A TCP relay to the test database that a test can make hang or refuse: a database outage or
a dropped network, on demand, without touching the database the other tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from tests.live import free_port

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Relay:
    """A TCP relay on 127.0.0.1 to the test database. `freeze()` holds every byte in both
    directions (connections stay open, answers never come); `refuse()` closes every connection
    and refuses new ones; `restore()` undoes either."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        query = parse_qs(parts.query)
        host = query.pop("host", [parts.hostname or "127.0.0.1"])[0]
        port = parts.port or 5432
        self._connect: Callable[[], Awaitable[Streams]] = (
            (lambda: asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}"))
            if host.startswith("/")
            else (lambda: asyncio.open_connection(host, port))
        )
        self._parts = parts._replace(query=urlencode(query, doseq=True))
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        userinfo = self._parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        return urlunsplit(self._parts._replace(netloc=netloc))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accepted, "127.0.0.1", self.port)

    def freeze(self) -> None:
        self._flowing.clear()

    async def refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def restore(self) -> None:
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        self._flowing.set()
        await self.refuse()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._connect()
        self._writers |= {writer, up_writer}
        pipes = [asyncio.create_task(self._pipe(reader, up_writer)), asyncio.create_task(self._pipe(up_reader, writer))]
        self._tasks.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        finally:
            self._tasks.difference_update(pipes)
            self._writers -= {writer, up_writer}
            for w in (writer, up_writer):
                w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
