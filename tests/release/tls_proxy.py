#!/usr/bin/env python3
"""tls_proxy.py CERT KEY PORT: terminates TLS on 127.0.0.1 (a free port, printed on one line) and
forwards each connection's bytes to 127.0.0.1:PORT, for the release tests: the fakes speak plain
HTTP, the static binary must verify a server certificate. Runs until killed."""
import socket
import ssl
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, ctx, port):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    upstream = socket.create_connection(("127.0.0.1", port))
    threading.Thread(target=pipe, args=(upstream, tls), daemon=True).start()
    pipe(tls, upstream)


def main():
    cert, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(64)
    print(lsn.getsockname()[1], flush=True)
    while True:
        conn, _ = lsn.accept()
        threading.Thread(target=serve, args=(conn, ctx, port), daemon=True).start()


if __name__ == "__main__":
    main()
