"""visionrt: real-time computer vision from Python, over libvrt's C API.

    import visionrt, numpy as np
    with visionrt.Session("SqueezeNet_fp16.onnx", width=224, height=224) as s:   # profile by name
        r = s.run(np.zeros((224, 224, 3), np.uint8))                               # RGB24 frame
        print(r.classes[0].label, r.classes[0].score, r.times["model"])
    for frame in visionrt.Source("synthetic:?frames=10", format="RGB24"):        # numpy views, no copy
        ...
    with visionrt.Pipeline(["synthetic:"], "SqueezeNet_fp16.onnx", max_frames=100) as p:
        for r in p:                                                                 # Ctrl-C stops it
            print(r.stream, r.classes[0])

Every call that waits releases the GIL; library failures raise visionrt.Error with the library's
message (.status, .name). Results are plain Python objects copied out of the library; detection
boxes are also numpy arrays (Result.boxes, .scores, .class_ids); maps (depth, segmentation masks,
class maps) and pose keypoints are numpy arrays in the frame's geometry. Session.device_map(name)
exports the latest result's map where the backend holds it (CUDA: device memory) through DLPack:
torch.from_dlpack(session.device_map("depth")).
"""
import os
import re
from typing import Callable, Iterable, Optional, Sequence, Union

from . import _core
from ._core import Class, Detection, DeviceMap, Error, Frame, Result

__all__ = ["Session", "Source", "Pipeline", "Result", "Frame", "Class", "Detection", "DeviceMap", "Error",
           "find_profile",
           "version", "build_info", "backend_available", "profiles_dir"]
__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]

version = _core.version
build_info = _core.build_info
backend_available = _core.backend_available


def profiles_dir() -> str:
    """The model profiles installed with the package (visionrt/profiles)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles")


def _norm(name: str, cut_ext: bool) -> str:
    if cut_ext and "." in name[1:]:
        name = name[: name.rindex(".")]
    return re.sub(r"[^0-9a-z]", "", name.lower())


def find_profile(model: PathLike) -> Optional[str]:
    """The profile for a model file, as `vrt` finds it: the NAME.conf whose letters and digits are the
    longest prefix of the model's file name, searched in $VRT_MODELS_DIR, the package's profiles and
    the model's folder. None when none matches."""
    model = os.fspath(model)
    want = _norm(os.path.basename(model), True)
    dirs = [os.environ.get("VRT_MODELS_DIR"), profiles_dir(), os.path.dirname(os.path.abspath(model))]
    best, best_len = None, 0
    for d in dirs:
        if not d or not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            stem = _norm(f, True)
            if f.endswith(".conf") and stem and want.startswith(stem) and len(stem) > best_len:
                best, best_len = os.path.join(d, f), len(stem)
    return best


def _profile(model: PathLike, profile: Optional[PathLike]) -> Optional[str]:
    if profile is not None:
        return os.fspath(profile)
    found = find_profile(model)
    if found is None:
        raise Error("%s: no profile matches this model's name (searched $VRT_MODELS_DIR, %s and the model's "
                    "folder); pass profile=PATH" % (os.fspath(model), profiles_dir()))
    return found


class Session(_core.Session):
    """One model's whole frame path (vrt/session.h): frame -> pre-processing -> model -> head -> Result.

    The input frame format and size are fixed at open (format "RGB24" = numpy (height, width, 3) uint8).
    run(frame) is synchronous; submit(frame) -> slot, then poll(slot) / wait(slot) overlap work.
    backend: "auto" (CUDA when a GPU is present), "cuda" or "cpu"."""

    def __init__(self, model: PathLike, profile: Optional[PathLike] = None, backend: str = "auto", *,
                 width: int = 640, height: int = 480, format: str = "RGB24", slots: int = 2,
                 threads: int = 0, device: int = 0, cascade: Optional[PathLike] = None,
                 cascade_profile: Optional[PathLike] = None, cascade_max_batch: int = 16, cascade_topk: int = 0,
                 cascade_min_size: float = 1.0, cascade_classes: Optional[Sequence[int]] = None) -> None:
        """cascade: a classifier run on every detection's crop (Detection.secondary), with its
        profile (found by name when not given); cascade_max_batch crops per frame (1..64),
        cascade_topk classes per crop (0: the profile's, at most 5), cascade_min_size: skip boxes
        smaller than that many pixels, cascade_classes: the detector class ids to classify (None: all).
        device: the CUDA device ordinal."""
        c_profile = _profile(cascade, cascade_profile) if cascade is not None else None
        super().__init__(os.fspath(model), _profile(model, profile), backend, width, height, format, slots, threads,
                         os.fspath(cascade) if cascade is not None else None, c_profile, cascade_max_batch,
                         cascade_topk, cascade_min_size, cascade_classes, device)


class Source(_core.Source):
    """Frames from a camera, file, stream, images or synthetic: (vrt/source.h URIs).

    Iterating gives numpy arrays that view the library's frame buffers (no copy); a buffer goes back to
    the source (a V4L2 buffer is re-queued) when its array is gone. read() gives a Frame (pixels through
    the buffer protocol plus sequence and timestamp). format=None keeps the source's own format."""

    def __init__(self, uri: str, *, width: int = 0, height: int = 0, fps: float = 0.0,
                 format: Optional[str] = None, loop: bool = False, frames: int = 0) -> None:
        super().__init__(uri, width, height, fps, format, loop, frames)


class Pipeline(_core.Pipeline):
    """Sources -> one model -> results, on the library's own threads (vrt/pipeline.h).

    Iterate it for Results (stream, index, frame_number set), or give on_result (called on the
    pipeline's threads with the GIL). outputs are sink URIs ("out.jsonl", "report.html", ...).
    Ctrl-C while iterating stops the pipeline and raises KeyboardInterrupt."""

    def __init__(self, sources: Union[str, Sequence[str]], model: PathLike, profile: Optional[PathLike] = None, *,
                 outputs: Iterable[str] = (), on_result: Optional[Callable[[Result], None]] = None,
                 backend: str = "auto", max_frames: int = 0, policy: str = "newest", threads: int = 0) -> None:
        if isinstance(sources, str):
            sources = [sources]
        super().__init__(list(sources), os.fspath(model), _profile(model, profile), list(outputs), on_result,
                         backend, max_frames, policy, threads)
