"""A provider's webhook receiver for tests: a real HTTP server on 127.0.0.1, in a thread, that
answers each request as the test scripts it and keeps what it was sent."""

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0  # seconds before answering (a slow endpoint)
    location: str = ""  # a redirect's target
    wait_for: threading.Event | None = None  # hold the answer until this is set
    trickle: float = 0.0  # seconds between the bytes of an answer sent one byte at a time
    body: bytes = b""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    answers: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/wso"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.server.server_address[1]}/hooks/wso"

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver(*, tls: tuple[str, str] | None = None) -> Receiver:
    """tls: (certificate, key) files to answer https:// instead."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            receiver.arrived.set()
            answer = receiver.answers.pop(0) if receiver.answers else Answer()
            if answer.wait_for is not None:
                answer.wait_for.wait(10)
            time.sleep(answer.delay)
            if answer.trickle:
                return self.trickle(answer)
            try:
                self.send_response(answer.status)
                if answer.location:
                    self.send_header("Location", answer.location)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the caller gave up waiting

        def trickle(self, answer: Answer):
            """A whole answer, status line first, one byte at a time, each soon enough to
            restart any read timeout; it goes on until the caller hangs up."""
            response = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
            try:
                for byte in response:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(answer.trickle)
            except OSError:
                pass
            self.close_connection = True

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
