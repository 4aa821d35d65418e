# A plain HTTP file server as many people run one (Python's http.server): it ignores Range
# headers and sends no Accept-Ranges, so clients cannot seek. For tests it also answers 403 to
# every file while a file named FORBIDDEN exists in its folder, and redirects /redirect/N to the
# URL on line N of a file named REDIRECTS (302).
# Usage: plain_file_server.py PORT FOLDER
import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        folder = self.directory
        if self.path.startswith("/redirect/"):
            with open(os.path.join(folder, "REDIRECTS")) as targets:
                lines = targets.read().splitlines()
            self.send_response(302)
            self.send_header("Location", lines[int(self.path.split("/")[2])])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if os.path.exists(os.path.join(folder, "FORBIDDEN")):
            self.send_error(403, "Forbidden")
            return
        super().do_GET()

    def log_message(self, format, *args):
        sys.stderr.write("%s\n" % (format % args))


port, folder = int(sys.argv[1]), sys.argv[2]
handler = functools.partial(Handler, directory=folder)
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
print("serving", flush=True)
server.serve_forever()
