"""A few X11 calls through ctypes (libX11 comes with SDL2) for the display tests:
find a top-level window by the start of its title, ask it to close the way a window
manager does (WM_DELETE_WINDOW), and grab it as a PNG with FFmpeg's x11grab."""
import ctypes
import ctypes.util
import subprocess

_x = None


def _lib():
    global _x
    if _x is None:
        name = ctypes.util.find_library("X11") or "libX11.so.6"
        _x = ctypes.CDLL(name)
        _x.XOpenDisplay.restype = ctypes.c_void_p
        _x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        _x.XDefaultRootWindow.restype = ctypes.c_ulong
        _x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        _x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                  ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                                  ctypes.POINTER(ctypes.c_uint)]
        _x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
        _x.XInternAtom.restype = ctypes.c_ulong
        _x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        _x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        _x.XFlush.argtypes = [ctypes.c_void_p]
        _x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        _x.XFree.argtypes = [ctypes.c_void_p]
    return _x


def _open(display):
    x = _lib()
    d = x.XOpenDisplay(display.encode())
    if not d:
        raise OSError("cannot open X display %s" % display)
    return x, d


def find_window(display, title_prefix, contains=""):
    """The id of a top-level window whose title starts with title_prefix (and has contains), or None."""
    x, d = _open(display)
    try:
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        kids, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not x.XQueryTree(d, x.XDefaultRootWindow(d), ctypes.byref(root), ctypes.byref(parent),
                            ctypes.byref(kids), ctypes.byref(n)):
            return None
        found = None
        for i in range(n.value):
            name = ctypes.c_char_p()
            if x.XFetchName(d, kids[i], ctypes.byref(name)) and name.value:
                title = name.value.decode("utf-8", "replace")
                if title.startswith(title_prefix) and contains in title:
                    found = kids[i]
        if kids:
            x.XFree(kids)
        return found
    finally:
        x.XCloseDisplay(d)


class _ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("l", ctypes.c_long * 5), ("pad", ctypes.c_char * 96)]


def close_window(display, wid):
    """Sends WM_DELETE_WINDOW, as a window manager does when the user closes the window."""
    x, d = _open(display)
    try:
        ev = _ClientMessage()
        ev.type = 33  # ClientMessage
        ev.window = wid
        ev.message_type = x.XInternAtom(d, b"WM_PROTOCOLS", 0)
        ev.format = 32
        ev.l[0] = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
        ev.l[1] = 0  # CurrentTime
        x.XSendEvent(d, wid, 0, 0, ctypes.byref(ev))
        x.XFlush(d)
    finally:
        x.XCloseDisplay(d)


def grab_png(display, wid, path):
    """The window's pixels into path (PNG) with FFmpeg's x11grab; True when it worked."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0", "-window_id", hex(wid),
           "-i", display, "-frames:v", "1", path]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30).returncode == 0


class _KeyEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("root", ctypes.c_ulong),
                ("subwindow", ctypes.c_ulong), ("time", ctypes.c_ulong), ("x", ctypes.c_int), ("y", ctypes.c_int),
                ("x_root", ctypes.c_int), ("y_root", ctypes.c_int), ("state", ctypes.c_uint),
                ("keycode", ctypes.c_uint), ("same_screen", ctypes.c_int), ("pad", ctypes.c_char * 96)]


def press_key(display, wid, keysym_name):
    """Sends a key press and release (e.g. "q", "Escape") to the window."""
    x, d = _open(display)
    try:
        x.XStringToKeysym.restype = ctypes.c_ulong
        x.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x.XKeysymToKeycode.restype = ctypes.c_ubyte
        x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        code = x.XKeysymToKeycode(d, x.XStringToKeysym(keysym_name.encode()))
        for kind, mask in ((2, 1), (3, 2)):  # KeyPress/KeyPressMask, KeyRelease/KeyReleaseMask
            ev = _KeyEvent()
            ev.type = kind
            ev.window = wid
            ev.root = x.XDefaultRootWindow(d)
            ev.keycode = code
            ev.same_screen = 1
            x.XSendEvent(d, wid, 1, mask, ctypes.byref(ev))
        x.XFlush(d)
    finally:
        x.XCloseDisplay(d)
