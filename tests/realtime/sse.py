"""A real Server-Sent Events client for the tests: httpx streaming, parsed as browsers do."""

import json
import queue
import random
import threading
import time
from dataclasses import dataclass, field

import httpx

CLOSED = object()


@dataclass
class Event:
    event: str
    data: str
    id: str | None

    @property
    def json(self):
        return json.loads(self.data)


@dataclass
class Parser:
    """The SSE parsing rules (WHATWG HTML, "Server-sent events"), fed with bytes."""

    last_event_id: str | None = None
    retry: int | None = None
    comments: int = 0
    _buffer: bytes = b""
    _event: str = ""
    _data: list = field(default_factory=list)
    _id: str | None = None

    def feed(self, chunk):
        self._buffer += chunk
        events = []
        while True:
            cut = self._buffer.find(b"\n")
            if cut < 0:
                return events
            line, self._buffer = self._buffer[:cut].rstrip(b"\r").decode(), self._buffer[cut + 1 :]
            if not line:
                if self._id is not None:
                    self.last_event_id = self._id
                if self._data:
                    events.append(Event(self._event or "message", "\n".join(self._data), self.last_event_id))
                self._event, self._data, self._id = "", [], None
                continue
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                self._event = value
            elif name == "data":
                self._data.append(value)
            elif name == "id":
                self._id = value
            elif name == "retry" and value.isdigit():
                self.retry = int(value)


class Stream:
    """``GET sse`` read by a background thread; ``next()`` returns the parsed events."""

    def __init__(self, base_url, *, token=None, params=None, headers=None, last_event_id=None, cookies=None):
        self.headers = dict(headers or {})
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = str(last_event_id)
        self.url = f"{base_url}/api/chat/sse"
        self.params = params or {}
        self.parser = Parser(last_event_id=str(last_event_id) if last_event_id is not None else None)
        self.events = queue.Queue()
        self.raw = b""
        self.status = None
        self.response_headers = None
        self.body = b""
        self.closed = threading.Event()
        self._response = None
        self._ready = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=30), cookies=cookies)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the stream did not answer")

    def _run(self):
        try:
            with self._client.stream("GET", self.url, params=self.params, headers=self.headers) as response:
                self._response = response
                self.status = response.status_code
                self.response_headers = response.headers
                if response.status_code != 200:
                    self.body = response.read()
                    return
                self._ready.set()
                for chunk in response.iter_raw():
                    if len(self.raw) < 4096:
                        self.raw += chunk
                    for event in self.parser.feed(chunk):
                        self.events.put(event)
        except (httpx.HTTPError, OSError, ValueError, RuntimeError, AttributeError):
            pass  # closed by close(), or by the server
        finally:
            self._ready.set()
            self.closed.set()
            self.events.put(CLOSED)

    def next(self, event=None, timeout=5.0):
        """The next event (of type ``event`` if given, skipping others); AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                item = self.events.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise AssertionError(f"no {event or 'event'} within {timeout}s") from None
            if item is CLOSED:
                self.events.put(CLOSED)
                raise AssertionError(f"the stream closed while waiting for {event or 'an event'}")
            if event is None or item.event == event:
                return item

    def drain(self, wait=0.3):
        """Every event that arrives within ``wait`` seconds of quiet."""
        found = []
        while True:
            try:
                item = self.events.get(timeout=wait)
            except queue.Empty:
                return found
            if item is CLOSED:
                self.events.put(CLOSED)
                return found
            found.append(item)

    def close(self):
        response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - the reading thread may be closing it too
                pass
        self._client.close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Follower(threading.Thread):
    """A client that keeps reconnecting with Last-Event-ID, staying ``hold`` seconds each time,
    and records every ``message`` event: what a browser does across flaky connections."""

    def __init__(self, base_url, token, *, params=None, hold=(0.1, 0.4), seed=0):
        """``base_url``: one server, or a list to reconnect to each in turn (processes behind a balancer)."""
        super().__init__(daemon=True)
        self.base_urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.token, self.params, self.hold = token, params or {}, hold
        self.random = random.Random(seed)
        self.messages = []  # (event id, Message JSON) in arrival order
        self.connections = 0
        self.last_event_id = None
        self.errors = []
        self._stop_flag = threading.Event()

    def run(self):
        while not self._stop_flag.is_set():
            parser = Parser(last_event_id=self.last_event_id)
            headers = {"Authorization": f"Bearer {self.token}"}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            deadline = time.monotonic() + self.random.uniform(*self.hold)
            base_url = self.base_urls[self.connections % len(self.base_urls)]
            try:
                with httpx.Client(timeout=httpx.Timeout(5, read=5)) as client:
                    with client.stream("GET", f"{base_url}/api/chat/sse", params=self.params, headers=headers) as r:
                        if r.status_code != 200:
                            self.errors.append(r.status_code)
                            time.sleep(0.1)
                            continue
                        self.connections += 1
                        for chunk in r.iter_raw():
                            for event in parser.feed(chunk):
                                if event.event == "message":
                                    self.messages.append((int(event.id), event.json))
                                elif event.event == "reset":
                                    self.errors.append("reset")
                            # Only what was fully received counts, as in a browser.
                            self.last_event_id = parser.last_event_id
                            if time.monotonic() > deadline:
                                break
            except (httpx.HTTPError, OSError) as exc:
                self.errors.append(repr(exc))
                time.sleep(0.05)

    def stop(self):
        self._stop_flag.set()
        self.join(10)
