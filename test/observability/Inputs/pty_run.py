"""Runs a command with its stdout and stderr on a pseudo-terminal and prints
what it wrote there, with the control sequences made visible: carriage
return as <CR>, erase-to-end-of-line (ESC [ K) as <EL>, other escapes as
<ESC>. Exits with the command's status.

usage: pty_run.py COMMAND [ARG...]"""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the child closed the terminal
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
text = out.decode("utf-8", "replace")
text = text.replace("\r\n", "\n")  # the terminal's own newline translation
text = text.replace("\033[K", "<EL>").replace("\r", "<CR>").replace("\033", "<ESC>")
sys.stdout.write(text)
if not text.endswith("\n"):
    sys.stdout.write("\n")
sys.exit(os.waitstatus_to_exitcode(status))
