"""``tui-lstm serve``: the console in a browser, through textual-serve, behind a token.

textual-serve starts a console process for every websocket that connects, and has no
authentication of its own; loopback is no boundary on a shared machine (other users, or a
web page in the user's own browser, can reach it). So, as Jupyter does, the page takes a
token once and keeps it in a cookie, and the routes that start or talk to a console
want that cookie and the served origin (auth.py); server.py fits this onto textual-serve's
``Server``, whose routes are fixed inside it (hence the pinned version range).
"""
