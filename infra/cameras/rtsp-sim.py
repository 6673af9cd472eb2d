#!/usr/bin/python3
"""Simulated-camera RTSP server (GStreamer GstRtspServer via PyGObject).

Every camera gets two mounts:
    rtsp://<bind>:<port>/<id>/main   1280x720  H.264 constrained-baseline
    rtsp://<bind>:<port>/<id>/sub     640x360  H.264 constrained-baseline

Pipelines are built lazily on the first client and shared between clients of
the same mount; when the last client leaves the pipeline is torn down, so an
unwatched server uses ~0% CPU.

Run with Debian's interpreter (it has `gi`):
    /usr/bin/python3 infra/cameras/rtsp-sim.py --port 8554 --count 8

With `--clip DIR` every mount loops a pre-encoded H.264 clip (made once per camera and
profile into DIR, the camera's name burnt in) instead of encoding live: the same mounts,
resolutions, frame rate and GOP at a small fraction of the CPU, so a wall of 16+ cameras
fits on a small machine.

stdout carries exactly one line, `READY rtsp://<bind>:<port> <n> cameras`,
once the server is listening; all diagnostics go to stderr.

Exit codes: 0 on SIGTERM/SIGINT, 1 on runtime failure (port taken, missing
GStreamer elements), 2 on bad arguments / bad camera file.
"""

import argparse
import ctypes
import datetime
import hashlib
import ipaddress
import json
import os
import re
import signal
import sys
import time

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer, GstVideo
except (ImportError, ValueError) as exc:  # pragma: no cover - environment issue
    sys.stderr.write(
        f"rtsp-sim: cannot import GStreamer bindings ({exc}).\n"
        "rtsp-sim: run with /usr/bin/python3 and install python3-gi, "
        "gir1.2-gst-rtsp-server-1.0\n"
    )
    sys.exit(1)

PROG = "rtsp-sim"

# Profiles: (mount suffix, width, height, default kbit/s, font size main, font size clock)
PROFILES = (
    ("main", 1280, 720, 1500, 28, 22),
    ("sub", 640, 360, 400, 15, 12),
)

# Patterns cycled through when a camera does not name one, so tiles differ.
DEFAULT_PATTERNS = (
    "smpte",
    "ball",
    "pinwheel",
    "colors",
    "smpte75",
    "spokes",
    "gradient",
    "circular",
)

REQUIRED_ELEMENTS = (
    "videotestsrc",
    "capsfilter",
    "textoverlay",
    "clockoverlay",
    "videoconvert",
    "x264enc",
    "rtph264pay",
)

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"


def log(msg):
    ts = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    sys.stderr.write(f"{ts} {PROG}: {msg}\n")
    sys.stderr.flush()


class UsageError(Exception):
    """Bad CLI value or camera file -> exit 2."""


# --------------------------------------------------------------------------
# Argument / camera-file validation
# --------------------------------------------------------------------------


def int_in_range(lo, hi):
    def parse(text):
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} out of range {lo}..{hi}")
        return value

    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="rtsp-sim.py",
        description="Simulated-camera RTSP server (two H.264 mounts per camera).",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--cameras",
        metavar="FILE.json",
        help='JSON list of {"id": "cam01", "name": "...", "pattern": "smpte"}',
    )
    src.add_argument(
        "--count",
        type=int_in_range(1, 999),
        metavar="N",
        help="generate cameras cam01..camNN named SIM-CAM-01..",
    )
    p.add_argument(
        "--port",
        type=int_in_range(0, 65535),
        default=8554,
        help="RTSP TCP port (0 = pick a free one; default 8554)",
    )
    p.add_argument("--bind", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--gop", type=int_in_range(1, 1000), default=50, help="key-frame interval in frames (default 50)")
    p.add_argument("--fps", type=int_in_range(1, 120), default=25, help="frames per second (default 25)")
    p.add_argument("--main-kbps", type=int_in_range(50, 50000), default=PROFILES[0][3], help="main stream bitrate (default 1500)")
    p.add_argument("--sub-kbps", type=int_in_range(50, 50000), default=PROFILES[1][3], help="sub stream bitrate (default 400)")
    p.add_argument(
        "--clock-ms",
        action="store_true",
        help="burn milliseconds into the clock (HH:MM:SS.mmm) for glass-to-glass latency checks",
    )
    p.add_argument(
        "--time-strip",
        action="store_true",
        help="write the wall-clock capture time into every raw frame just before the encoder, as a "
        "strip of 40 large black/white blocks across the top (32 bits: low 32 bits of the Unix time "
        "in ms, MSB first; then CRC-8/0x07 of those 4 bytes), for glass-to-glass latency checks",
    )
    p.add_argument(
        "--idr-on-join",
        action="store_true",
        help="force a key frame whenever a client starts playing a mount, so a client joining an "
        "already-running shared stream gets a picture at once instead of waiting up to --gop "
        "frames (off by default: real cameras do not do this, and it breaks fixed GOP spacing)",
    )
    p.add_argument(
        "--codec",
        choices=("h264", "h265"),
        default="h264",
        help="video codec of every mount (default h264; h265 = x265 Main, as many newer cameras send)",
    )
    p.add_argument(
        "--clip",
        metavar="DIR",
        help="loop a pre-encoded H.264 clip per camera and profile instead of encoding live; clips "
        "are made once (name burnt in) into DIR and reused while their settings match",
    )
    p.add_argument(
        "--clip-seconds",
        type=int_in_range(2, 120),
        default=8,
        help="length of each clip in seconds, rounded up to whole GOPs (default 8)",
    )
    p.add_argument(
        "--session-timeout",
        type=int_in_range(5, 3600),
        default=20,
        help="seconds before a silent client's session (and its pipeline) is reaped (default 20)",
    )
    args = p.parse_args(argv)

    if not valid_bind(args.bind):
        p.error(f"--bind: not an IP address or host name: {args.bind!r}")
    if args.clip is not None:
        # A clip is encoded once: nothing can be written into its frames while it plays.
        for flag, on in (("--time-strip", args.time_strip), ("--clock-ms", args.clock_ms)):
            if on:
                p.error(f"{flag} needs live encoding; it cannot be combined with --clip")
        if args.codec != "h264":
            p.error("--clip supports --codec h264 only")
    return p, args


HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$")


def valid_bind(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return bool(HOST_RE.match(text))


def videotestsrc_patterns():
    """Return {nick: nick} plus {str(value): nick} for the videotestsrc pattern enum."""
    src = Gst.ElementFactory.make("videotestsrc", None)
    if src is None:
        return None
    spec = src.find_property("pattern")
    enum_class = spec.enum_class  # GEnumClass
    out = {}
    for value, ev in enum_class.__enum_values__.items():
        out[ev.value_nick] = ev.value_nick
        out[str(int(value))] = ev.value_nick
    return out


def load_cameras(args, patterns):
    if args.count is not None:
        width = max(2, len(str(args.count)))
        cams = []
        for i in range(1, args.count + 1):
            n = str(i).zfill(width)
            cams.append(
                {
                    "id": f"cam{n}",
                    "name": f"SIM-CAM-{n}",
                    "pattern": DEFAULT_PATTERNS[(i - 1) % len(DEFAULT_PATTERNS)],
                }
            )
        return cams

    path = args.cameras
    try:
        with open(path, "r", encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read camera file {path}: {exc.strerror or exc}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"camera file {path} is not valid JSON: {exc}")

    if not isinstance(data, list):
        raise UsageError(f"camera file {path}: top level must be a JSON list, got {type(data).__name__}")
    if not data:
        raise UsageError(f"camera file {path}: list is empty")

    cams = []
    seen = set()
    for idx, entry in enumerate(data):
        where = f"camera file {path}: entry [{idx}]"
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: must be an object, got {type(entry).__name__}")
        unknown = set(entry) - {"id", "name", "pattern"}
        if unknown:
            # Tolerated so a richer camera registry file can be reused, but said out loud
            # so a typo such as "patern" does not go unnoticed.
            log(f"warning: {where}: ignoring unknown key(s) {', '.join(sorted(unknown))} "
                "(known: id, name, pattern)")
        cam_id = entry.get("id")
        if not isinstance(cam_id, str) or not ID_RE.match(cam_id):
            raise UsageError(
                f"{where}: \"id\" must be a string of 1-64 chars [A-Za-z0-9_.-] starting alphanumeric, got {cam_id!r}"
            )
        if cam_id in seen:
            raise UsageError(f"{where}: duplicate id {cam_id!r}")
        seen.add(cam_id)
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f"{where}: \"name\" must be a non-empty string, got {name!r}")
        if len(name) > 120 or any(ord(c) < 0x20 for c in name):
            raise UsageError(f"{where}: \"name\" must be <=120 chars without control characters")
        pattern = entry.get("pattern")
        if pattern is None:
            pattern = DEFAULT_PATTERNS[idx % len(DEFAULT_PATTERNS)]
        else:
            key = str(pattern) if isinstance(pattern, int) and not isinstance(pattern, bool) else pattern
            if not isinstance(key, str) or key not in patterns:
                names = ", ".join(sorted(k for k in patterns if not k.isdigit()))
                raise UsageError(f"{where}: unknown pattern {pattern!r}; valid: {names}")
            pattern = patterns[key]
        if not name.isascii():
            log(f"note: {where}: non-ASCII name {name!r} is rendered with the installed fonts; "
                "CJK needs e.g. fonts-noto-cjk, otherwise glyphs show as boxes")
        cams.append({"id": cam_id, "name": name, "pattern": pattern})
    return cams


# --------------------------------------------------------------------------
# Pipeline construction
# --------------------------------------------------------------------------


def gst_quote(text):
    """Quote a string for gst_parse_launch (double quotes, backslash escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def h264_profile_caps():
    """Prefer constrained-baseline; fall back to baseline if it does not negotiate."""
    for profile in ("constrained-baseline", "baseline"):
        desc = (
            "videotestsrc num-buffers=2 ! video/x-raw,width=64,height=64,framerate=25/1 ! "
            "x264enc speed-preset=ultrafast tune=zerolatency bframes=0 ! "
            f"video/x-h264,profile={profile} ! fakesink"
        )
        try:
            pipe = Gst.parse_launch(desc)
        except GLib.Error:
            continue
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(
            5 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
        )
        pipe.set_state(Gst.State.NULL)
        if msg is not None and msg.type == Gst.MessageType.EOS:
            return profile
        log(f"H.264 profile {profile} did not negotiate, trying next")
    return None


def launch_string(cam, profile, args, h264_profile):
    suffix, width, height, _kbps, name_pt, clock_pt = profile
    kbps = args.main_kbps if suffix == "main" else args.sub_kbps
    label = cam["name"]
    return (
        "( "
        f"videotestsrc name=src is-live=true pattern={cam['pattern']} "
        f"! video/x-raw,format=I420,width={width},height={height},"
        f"framerate={args.fps}/1,pixel-aspect-ratio=1/1 "
        f"! textoverlay name=label text={gst_quote(label)} "
        f"font-desc={gst_quote(f'DejaVu Sans Bold {name_pt}')} "
        "valignment=top halignment=left shaded-background=true "
        f"! clockoverlay name=clock time-format={gst_quote(CLOCK_FORMAT)} "
        f"font-desc={gst_quote(f'DejaVu Sans Mono Bold {clock_pt}')} "
        "valignment=bottom halignment=right shaded-background=true "
        "! videoconvert "
        # threads=1: tune=zerolatency would otherwise use sliced threads (one
        # slice per core) and rtph264pay config-interval=-1 re-inserts SPS/PPS
        # before *every* IDR slice, which makes depacketizers (ffmpeg) split the
        # key frame into two access units with the same timestamp.
        + encoder_string(args, kbps, h264_profile)
        + ")"
    )


def encoder_string(args, kbps, h264_profile):
    if args.codec == "h265":
        return (
            "! x265enc speed-preset=ultrafast tune=zerolatency "
            f"key-int-max={args.gop} bitrate={kbps} "
            f"option-string=\"scenecut=0:min-keyint={args.gop}:bframes=0:pools=1:frame-threads=1\" "
            "! video/x-h265,profile=main "
            "! rtph265pay name=pay0 pt=96 config-interval=-1 "
        )
    return (
        "! x264enc speed-preset=ultrafast tune=zerolatency threads=1 "
        f"key-int-max={args.gop} bframes=0 bitrate={kbps} "
        f"vbv-buf-capacity=1000 option-string=\"scenecut=0:min-keyint={args.gop}\" "
        f"! video/x-h264,profile={h264_profile} "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 "
    )


# --------------------------------------------------------------------------
# Clip mode: pre-encoded H.264 loops instead of live encoders
# --------------------------------------------------------------------------

CLIP_FORMAT_VERSION = 1
# Start code + access unit delimiter (NAL type 9): x264 begins every access unit with one (aud=1).
AUD = b"\x00\x00\x00\x01\x09"


def clip_frame_count(args):
    """Frames per clip: --clip-seconds rounded up to whole GOPs, so the loop restarts on a key frame."""
    frames = args.clip_seconds * args.fps
    return -(-frames // args.gop) * args.gop


def clip_file(cam, profile, args, h264_profile):
    """Where a camera profile's clip is cached; the name changes with every setting that shapes it."""
    suffix, width, height = profile[0], profile[1], profile[2]
    kbps = args.main_kbps if suffix == "main" else args.sub_kbps
    key = json.dumps(
        {
            "v": CLIP_FORMAT_VERSION,
            "name": cam["name"],
            "pattern": cam["pattern"],
            "size": [width, height],
            "fps": args.fps,
            "gop": args.gop,
            "kbps": kbps,
            "frames": clip_frame_count(args),
            "profile": h264_profile,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return os.path.join(args.clip, f"{cam['id']}-{suffix}-{digest}.h264")


def clip_encode_string(cam, profile, args, h264_profile, location):
    """The pipeline that encodes a clip once: the live pipeline's picture, name burnt in, then a file."""
    suffix, width, height, _kbps, name_pt, clock_pt = profile
    kbps = args.main_kbps if suffix == "main" else args.sub_kbps
    return (
        f"videotestsrc num-buffers={clip_frame_count(args)} pattern={cam['pattern']} "
        f"! video/x-raw,format=I420,width={width},height={height},"
        f"framerate={args.fps}/1,pixel-aspect-ratio=1/1 "
        f"! textoverlay text={gst_quote(cam['name'])} "
        f"font-desc={gst_quote(f'DejaVu Sans Bold {name_pt}')} "
        "valignment=top halignment=left shaded-background=true "
        f"! timeoverlay font-desc={gst_quote(f'DejaVu Sans Mono Bold {clock_pt}')} "
        "valignment=bottom halignment=right shaded-background=true "
        "! videoconvert "
        "! x264enc speed-preset=ultrafast tune=zerolatency threads=1 "
        f"key-int-max={args.gop} bframes=0 bitrate={kbps} vbv-buf-capacity=1000 "
        f"option-string=\"scenecut=0:min-keyint={args.gop}:aud=1\" "
        f"! video/x-h264,profile={h264_profile},stream-format=byte-stream,alignment=au "
        f"! filesink location={gst_quote(location)}"
    )


def split_access_units(data):
    """An Annex B stream whose access units each start with an AUD, as a list of access units."""
    starts = []
    i = data.find(AUD)
    while i >= 0:
        starts.append(i)
        i = data.find(AUD, i + len(AUD))
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]


def has_idr(au):
    """Whether an access unit holds an IDR slice (NAL type 5)."""
    i = au.find(b"\x00\x00\x01")
    while i >= 0:
        if i + 3 < len(au) and au[i + 3] & 0x1F == 5:
            return True
        i = au.find(b"\x00\x00\x01", i + 3)
    return False


def load_clip(path, frames):
    """The clip's access units, or None when the file is missing or not what the settings make."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    aus = split_access_units(data)
    if len(aus) != frames or not aus or not has_idr(aus[0]):
        return None
    return aus


def make_clips(jobs, args, h264_profile, parallel):
    """Each (cam, profile)'s clip, by mount path: loaded from the cache, or encoded first (up to
    `parallel` encoders at once; each is single-threaded)."""
    frames = clip_frame_count(args)
    out = {}
    todo = []
    for cam, profile in jobs:
        mount = f"/{cam['id']}/{profile[0]}"
        path = clip_file(cam, profile, args, h264_profile)
        aus = load_clip(path, frames)
        if aus is None:
            todo.append((mount, cam, profile, path))
        else:
            out[mount] = aus
    running = []
    while todo or running:
        while todo and len(running) < parallel:
            mount, cam, profile, path = todo.pop(0)
            tmp = f"{path}.{os.getpid()}.tmp"
            pipe = Gst.parse_launch(clip_encode_string(cam, profile, args, h264_profile, tmp))
            pipe.set_state(Gst.State.PLAYING)
            running.append((mount, path, tmp, pipe, time.monotonic()))
        for job in list(running):
            mount, path, tmp, pipe, started = job
            msg = pipe.get_bus().timed_pop_filtered(
                50 * Gst.MSECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
            )
            if msg is None:
                if time.monotonic() - started > 300:
                    pipe.set_state(Gst.State.NULL)
                    raise RuntimeError(f"encoding the clip of {mount} timed out")
                continue
            pipe.set_state(Gst.State.NULL)
            running.remove(job)
            if msg.type != Gst.MessageType.EOS:
                raise RuntimeError(f"encoding the clip of {mount} failed: {msg.parse_error()[0].message}")
            os.replace(tmp, path)
            aus = load_clip(path, frames)
            if aus is None:
                raise RuntimeError(f"the clip {path} does not split into {frames} access units")
            log(f"clip made {mount} ({frames} frames, {os.path.getsize(path)} bytes) "
                f"in {time.monotonic() - started:.1f}s")
            out[mount] = aus
    return out


class ClipFeeder:
    """Paces the clip mounts that play: one GLib timer pushes each mount's access units into its
    appsrc as they fall due (at --fps), looping. Timestamps are the mount's running time at its
    first frame plus whole frame durations, so they are exactly 1/fps apart however late the
    timer fires."""

    TICK_MS = 10

    def __init__(self, fps):
        self.fps = fps
        self.frame_ns = Gst.SECOND // fps
        self.mounts = {}  # appsrc -> {"aus", "next", "sent", "t0", "rt0"}
        self.timer = None

    def add(self, appsrc, aus):
        state = {"aus": aus, "next": 0, "sent": 0, "t0": None, "rt0": 0}
        self.mounts[appsrc] = state
        # A live appsrc asks for data once it is PLAYING: start the clock of this mount then.
        appsrc.connect("need-data", self.on_need_data, state)
        if self.timer is None:
            self.timer = GLib.timeout_add(self.TICK_MS, self.tick)

    @staticmethod
    def on_need_data(src, _length, state):
        if state["t0"] is not None:
            return
        clock = src.get_clock()
        state["rt0"] = max(0, clock.get_time() - src.get_base_time()) if clock is not None else 0
        state["t0"] = time.monotonic()

    def remove(self, appsrc):
        self.mounts.pop(appsrc, None)

    def restart(self, appsrc):
        """Continue from the clip's first access unit (an IDR): for --idr-on-join."""
        state = self.mounts.get(appsrc)
        if state is not None:
            state["next"] = 0

    def tick(self):
        now = time.monotonic()
        for src, st in list(self.mounts.items()):
            if st["t0"] is None:
                continue
            due = int((now - st["t0"]) * self.fps) + 1
            if due - st["sent"] > self.fps:
                # The process was held up for over a second: resume at the present, no burst.
                st["sent"] = due - 1
            while st["sent"] < due:
                aus = st["aus"]
                buf = Gst.Buffer.new_wrapped(aus[st["next"]])
                buf.pts = buf.dts = st["rt0"] + st["sent"] * self.frame_ns
                buf.duration = self.frame_ns
                ret = src.emit("push-buffer", buf)
                st["sent"] += 1
                st["next"] = (st["next"] + 1) % len(aus)
                if ret != Gst.FlowReturn.OK:
                    break
        if not self.mounts:
            self.timer = None
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE


def clip_launch_string(profile, args, h264_profile):
    """The mount pipeline of clip mode: access units from the feeder, packetised as the live ones."""
    _suffix, width, height = profile[0], profile[1], profile[2]
    return (
        "( "
        "appsrc name=src is-live=true format=time do-timestamp=false max-buffers=50 "
        f"caps=\"video/x-h264,stream-format=byte-stream,alignment=au,width={width},height={height},"
        f"framerate={args.fps}/1,profile={h264_profile}\" "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 "
        ")"
    )


class ClockMs:
    """Buffer probe that rewrites clockoverlay's format with a literal ms timestamp."""

    @staticmethod
    def probe(_pad, _info, clock):
        now = datetime.datetime.now()
        clock.set_property(
            "time-format", now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"
        )
        return Gst.PadProbeReturn.OK


def downstream_element(element, factory_name):
    """The first element named by its factory downstream of `element` (following src pads)."""
    for _ in range(16):
        if element is None:
            return None
        factory = element.get_factory()
        if factory is not None and factory.get_name() == factory_name:
            return element
        src = element.get_static_pad("src")
        peer = src.get_peer() if src is not None else None
        element = peer.get_parent_element() if peer is not None else None
    return None


class TimeStrip:
    """Buffer probe on the encoder's sink pad that paints the capture time into the raw I420 frame.

    Layout (frame width W, block size B = W // 40, e.g. 16 px for 640, 32 px for 1280): the top B
    rows hold 40 blocks of B x B pixels, left to right: 32 bits of (Unix time in ms) & 0xffffffff,
    most significant first, then the 8 bits of its CRC-8 (polynomial 0x07, init 0, over the 4
    big-endian bytes). A 1 is luma 235, a 0 luma 16; chroma under the strip is neutral (128). Blocks
    aligned to 16x16 macroblocks survive H.264 compression; the CRC lets a reader reject a frame.
    """

    BITS = 40
    _lib = None

    class MapInfo(ctypes.Structure):
        _fields_ = [
            ("memory", ctypes.c_void_p),
            ("flags", ctypes.c_int),
            ("data", ctypes.POINTER(ctypes.c_ubyte)),
            ("size", ctypes.c_size_t),
            ("maxsize", ctypes.c_size_t),
            ("user_data", ctypes.c_void_p * 4),
            ("_gst_reserved", ctypes.c_void_p * 4),
        ]

    def __init__(self):
        if TimeStrip._lib is None:
            # PyGObject hands out buffers with an extra reference, so Gst.Buffer.map(WRITE) refuses
            # them; the memory itself is not shared, and gst_memory_map(WRITE) on it is allowed.
            lib = ctypes.CDLL("libgstreamer-1.0.so.0")
            lib.gst_buffer_n_memory.argtypes = [ctypes.c_void_p]
            lib.gst_buffer_n_memory.restype = ctypes.c_uint
            lib.gst_buffer_peek_memory.argtypes = [ctypes.c_void_p, ctypes.c_uint]
            lib.gst_buffer_peek_memory.restype = ctypes.c_void_p
            lib.gst_memory_map.argtypes = [ctypes.c_void_p, ctypes.POINTER(TimeStrip.MapInfo), ctypes.c_int]
            lib.gst_memory_map.restype = ctypes.c_int
            lib.gst_memory_unmap.argtypes = [ctypes.c_void_p, ctypes.POINTER(TimeStrip.MapInfo)]
            TimeStrip._lib = lib
        self.layout = None  # (caps string, y stride, u offset, u stride, v offset, v stride, w, h)
        self.skipped = 0

    @staticmethod
    def crc8(data):
        crc = 0
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        return crc

    def _layout(self, pad):
        caps = pad.get_current_caps()
        if caps is None:
            return None
        key = caps.to_string()
        if self.layout is None or self.layout[0] != key:
            info = GstVideo.VideoInfo.new_from_caps(caps)
            if info is None or info.finfo.format != GstVideo.VideoFormat.I420:
                return None
            self.layout = (key, info.stride[0], info.offset[1], info.stride[1], info.offset[2],
                           info.stride[2], info.width, info.height)
        return self.layout

    def probe(self, pad, info):
        buf = info.get_buffer()
        layout = self._layout(pad)
        if buf is None or layout is None:
            return Gst.PadProbeReturn.OK
        ms = int(time.time() * 1000) & 0xFFFFFFFF
        _key, y_stride, u_off, u_stride, v_off, v_stride, width, height = layout
        block = width // self.BITS
        block -= block % 2
        if block < 2 or block > height:
            return Gst.PadProbeReturn.OK
        word = ms.to_bytes(4, "big")
        value = (ms << 8) | self.crc8(word)
        row = b"".join(
            (b"\xeb" if (value >> (self.BITS - 1 - i)) & 1 else b"\x10") * block for i in range(self.BITS)
        )
        lib = self._lib
        ptr = hash(buf)  # PyGObject: the GstBuffer's address
        if lib.gst_buffer_n_memory(ptr) != 1:
            self.skipped += 1
            return Gst.PadProbeReturn.OK
        mem = lib.gst_buffer_peek_memory(ptr, 0)
        mapinfo = TimeStrip.MapInfo()
        if not lib.gst_memory_map(mem, ctypes.byref(mapinfo), 2):  # GST_MAP_WRITE
            self.skipped += 1
            if self.skipped == 1:
                log("time-strip: a frame's memory is not writable; skipping such frames")
            return Gst.PadProbeReturn.OK
        try:
            base = ctypes.addressof(mapinfo.data.contents)
            end = v_off + v_stride * ((block // 2) - 1) + width // 2
            if end <= mapinfo.size and len(row) <= y_stride:
                for y in range(block):
                    ctypes.memmove(base + y * y_stride, row, len(row))
                for y in range(block // 2):
                    ctypes.memset(base + u_off + y * u_stride, 128, width // 2)
                    ctypes.memset(base + v_off + y * v_stride, 128, width // 2)
        finally:
            lib.gst_memory_unmap(mem, ctypes.byref(mapinfo))
        return Gst.PadProbeReturn.OK


class SimServer:
    def __init__(self, args, cameras, h264_profile, clips=None):
        self.args = args
        self.cameras = cameras
        self.loop = GLib.MainLoop()
        self.active = {}  # mount path -> prepared-at monotonic time
        # Clip mode: mount path -> access units of its clip, and the feeder that paces them.
        self.clips = clips
        self.feeder = ClipFeeder(args.fps) if clips is not None else None

        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(args.bind)
        self.server.set_service(str(args.port))
        # Default listen backlog is 5; a wall opening many tiles at once would
        # otherwise see dropped SYNs and 1 s connect retries.
        self.server.set_backlog(128)
        self.server.connect("client-connected", self.on_client_connected)
        mounts = self.server.get_mount_points()

        for cam in cameras:
            for profile in PROFILES:
                path = f"/{cam['id']}/{profile[0]}"
                factory = GstRtspServer.RTSPMediaFactory()
                factory.set_launch(
                    clip_launch_string(profile, args, h264_profile)
                    if clips is not None
                    else launch_string(cam, profile, args, h264_profile)
                )
                factory.set_shared(True)
                # Default, but be explicit: stop when a client vanishes without TEARDOWN.
                factory.set_stop_on_disconnect(True)
                # Protocols left at the default (UDP | UDP-multicast | TCP interleaved).
                factory.connect("media-configure", self.on_media_configure, path)
                mounts.add_factory(path, factory)

    # -- signal handlers -----------------------------------------------------

    def on_client_connected(self, _server, client):
        conn = client.get_connection()
        peer = conn.get_ip() if conn is not None else "?"
        log(f"client connected from {peer}")
        client.connect("new-session", self.on_new_session)
        if self.args.idr_on_join:
            client.connect("play-request", self.on_play_request)
        client.connect("closed", lambda _c: log(f"client {peer} closed"))

    def on_play_request(self, _client, ctx):
        media = ctx.media
        if self.feeder is not None:
            src = media.get_element().get_by_name("src") if media is not None else None
            if src is not None:
                self.feeder.restart(src)
            return
        pay = media.get_element().get_by_name("pay0") if media is not None else None
        if pay is not None:
            pay.send_event(
                GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)
            )

    def on_new_session(self, _client, session):
        session.set_timeout(self.args.session_timeout)

    @staticmethod
    def refuse_seeking_query(_pad, info):
        query = info.get_query()
        if query is not None and query.type == Gst.QueryType.SEEKING:
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    def on_media_configure(self, _factory, media, path):
        media.connect("prepared", self.on_media_prepared, path)
        media.connect("unprepared", self.on_media_unprepared, path)
        bin_ = media.get_element()
        # videotestsrc claims to be seekable, so GstRtspServer answers every PLAY
        # carrying "Range: npt=0.000-" (ffmpeg, VLC, ...) with a flushing seek
        # to 0 on the *shared* pipeline: RTP timestamps of every client already
        # watching jump back. A camera is live and not seekable; make the
        # SEEKING query fail so the media is marked non-seekable and PLAY skips
        # the seek (the Range header is then ignored).
        src = bin_.get_by_name("src")
        if src is not None:
            src.get_static_pad("src").add_probe(
                Gst.PadProbeType.QUERY_UPSTREAM, self.refuse_seeking_query
            )
            if self.feeder is not None:
                self.feeder.add(src, self.clips[path])
        if self.args.clock_ms:
            clock = bin_.get_by_name("clock")
            if clock is not None:
                pad = clock.get_static_pad("video_sink")
                pad.add_probe(Gst.PadProbeType.BUFFER, ClockMs.probe, clock)
        if self.args.time_strip:
            # On the encoder's input: after the overlays, as close to the encoder as it gets.
            enc = downstream_element(bin_.get_by_name("clock"), "x265enc" if self.args.codec == "h265" else "x264enc")
            if enc is not None:
                strip = TimeStrip()
                enc.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, strip.probe)
            else:
                log(f"time-strip: no encoder found in {path}")

    def on_media_prepared(self, _media, path):
        self.active[path] = time.monotonic()
        log(f"pipeline started {path} (active pipelines: {len(self.active)})")

    def on_media_unprepared(self, media, path):
        if self.feeder is not None:
            src = media.get_element().get_by_name("src")
            if src is not None:
                self.feeder.remove(src)
        started = self.active.pop(path, None)
        ran = f" after {time.monotonic() - started:.1f}s" if started else ""
        log(f"pipeline stopped {path}{ran} (active pipelines: {len(self.active)})")

    def on_signal(self, signame):
        log(f"{signame} received, shutting down")
        self.loop.quit()
        return GLib.SOURCE_REMOVE

    def reap_sessions(self):
        pool = self.server.get_session_pool()
        removed = pool.cleanup()
        if removed:
            log(f"reaped {removed} expired session(s)")
        return GLib.SOURCE_CONTINUE

    # -- run -------------------------------------------------------------------

    def run(self):
        source_id = self.server.attach(None)
        if source_id == 0:
            log(
                f"error: cannot listen on {self.args.bind}:{self.args.port} "
                "(port already in use or address not available)"
            )
            return 1
        port = self.server.get_bound_port()
        host = f"[{self.args.bind}]" if ":" in self.args.bind else self.args.bind
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.on_signal, "SIGTERM")
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, self.on_signal, "SIGINT")
        # Expired sessions (clients that died without TEARDOWN over UDP) are only
        # removed when the pool is cleaned up; do it every few seconds so their
        # pipelines stop. Costs one wakeup per 5 s while idle.
        GLib.timeout_add_seconds(5, self.reap_sessions)

        for cam in self.cameras:
            log(f"camera {cam['id']:<10} {cam['name']!r} pattern={cam['pattern']} "
                f"-> /{cam['id']}/main, /{cam['id']}/sub")
        log(f"listening on {host}:{port}, fps={self.args.fps} gop={self.args.gop} "
            f"main={self.args.main_kbps}kbps sub={self.args.sub_kbps}kbps"
            + (f" (looping {clip_frame_count(self.args)}-frame clips from {self.args.clip})" if self.clips is not None else ""))
        try:
            sys.stdout.write(f"READY rtsp://{host}:{port} {len(self.cameras)} cameras\n")
            sys.stdout.flush()
        except BrokenPipeError:
            pass

        self.loop.run()

        GLib.source_remove(source_id)
        log("stopped")
        return 0


def main(argv=None):
    Gst.init(None)
    parser, args = parse_args(sys.argv[1:] if argv is None else argv)

    missing = [e for e in REQUIRED_ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        hint = ""
        if {"textoverlay", "clockoverlay"} & set(missing):
            hint = " (textoverlay/clockoverlay come from the Pango plugin: apt-get install gstreamer1.0-x)"
        if "x264enc" in missing:
            hint += " (x264enc: apt-get install gstreamer1.0-plugins-ugly)"
        log(f"error: missing GStreamer element(s): {', '.join(missing)}{hint}")
        return 1

    try:
        cameras = load_cameras(args, videotestsrc_patterns())
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{parser.prog}: error: {exc}\n")
        return 2

    h264_profile = h264_profile_caps()
    if h264_profile is None:
        log("error: x264enc cannot produce baseline or constrained-baseline H.264")
        return 1
    log(f"H.264 profile: {h264_profile}")

    clips = None
    if args.clip is not None:
        try:
            os.makedirs(args.clip, exist_ok=True)
        except OSError as exc:
            log(f"error: cannot create the clip directory {args.clip}: {exc.strerror or exc}")
            return 1
        started = time.monotonic()
        jobs = [(cam, profile) for cam in cameras for profile in PROFILES]
        try:
            clips = make_clips(jobs, args, h264_profile, max(1, os.cpu_count() or 1))
        except (RuntimeError, GLib.Error) as exc:
            log(f"error: {exc}")
            return 1
        log(f"{len(clips)} clips ready in {time.monotonic() - started:.1f}s ({args.clip})")

    return SimServer(args, cameras, h264_profile, clips).run()


if __name__ == "__main__":
    sys.exit(main())
