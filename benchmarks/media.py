"""Benchmark: encrypted media put/get of a 1 GiB clip vs a plain file copy of the same bytes.

What is measured, in one run on the same disk:

* **baseline put**: copy the source file into a new file (1 MiB reads/writes) and ``fsync``;
* **put**: :meth:`EncryptedFileStore.put` of the same file (type check, AES-256-GCM
  segments, SHA-256, temp file + ``fsync`` + rename, key file);
* **baseline get**: read that plain copy back in 1 MiB chunks;
* **get**: iterate :meth:`EncryptedFileStore.open` (default mode: a verifying first pass, then
  a decrypting second pass) and, for comparison, the one-pass streaming mode.

Throughput is MiB/s of plaintext; the ratio is store time / baseline time. Peak RSS growth is
the highest resident set size during the operation minus the RSS just before: the kernel's
``VmHWM`` after resetting it through ``/proc/self/clear_refs`` (Linux >= 4.0), or, where
that is not allowed, a thread sampling ``VmRSS`` every 2 ms (which slows the measured
operation a little by competing for the GIL). The source file is generated
streaming, never held in memory. Linux only.

Run: ``.venv/bin/python benchmarks/media.py`` (``CPD_BENCH_MIB=256`` for a quicker run,
``CPD_BENCH_DIR`` to choose the disk; needs about three times the size free).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cpdcore_media_fs import EncryptedFileStore

from cpdcore.domain.identifiers import TrustId
from cpdcore.domain.media import DEFAULT_SIZE_LIMITS, MediaKind

MIB = 1024 * 1024
SIZE_MIB = int(os.environ.get("CPD_BENCH_MIB", "1024"))
TRUST = TrustId("bench-trust")
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 40


def status_kib(field: str) -> int:
    """A ``kB`` field of /proc/self/status (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); ``False`` where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class PeakRss:
    """Highest RSS during a ``with`` block, relative to the RSS at its start (bytes)."""

    def __enter__(self) -> PeakRss:
        self.hwm_reset = reset_peak()
        self.start = status_kib("VmRSS")
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        if not self.hwm_reset:
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, status_kib("VmRSS"))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.peak = max(self.peak, status_kib("VmRSS"))
        if self.hwm_reset:
            self.peak = max(self.peak, status_kib("VmHWM"))

    @property
    def growth(self) -> int:
        """Peak minus start, in bytes."""
        return (self.peak - self.start) * 1024


def write_source(path: Path) -> None:
    """A 1 GiB 'clip': an MP4 header then varied pseudo-random blocks, written streaming."""
    block = bytearray(os.urandom(MIB))
    with path.open("wb") as out:
        out.write(MP4_HEAD)
        for i in range(SIZE_MIB):
            block[:8] = i.to_bytes(8, "big")  # every block differs
            out.write(block if i < SIZE_MIB - 1 else block[: MIB - len(MP4_HEAD)])


def timed(action: Callable[[], object]) -> tuple[float, int]:
    """Seconds and peak RSS growth of one call."""
    with PeakRss() as rss:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return seconds, rss.growth


def drain(chunks: Iterator[bytes]) -> int:
    return sum(len(c) for c in chunks)


def plain_copy(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, MIB)
        dst.flush()
        os.fsync(dst.fileno())


def plain_read(path: Path) -> int:
    total = 0
    with path.open("rb") as src:
        while chunk := src.read(MIB):
            total += len(chunk)
    return total


def main() -> None:
    base = os.environ.get("CPD_BENCH_DIR")
    with tempfile.TemporaryDirectory(prefix="cpd-media-bench-", dir=base) as folder:
        root = Path(folder)
        source = root / "clip.mp4"
        write_source(source)
        size = source.stat().st_size
        limits = {
            **DEFAULT_SIZE_LIMITS,
            MediaKind.VIDEO: max(size, DEFAULT_SIZE_LIMITS[MediaKind.VIDEO]),
        }
        kek = os.urandom(32)
        store = EncryptedFileStore(root / "media", kek, size_limits=limits)
        streaming = EncryptedFileStore(
            root / "media", kek, size_limits=limits, verify_before_release=False
        )

        copy = root / "copy.mp4"
        base_put, base_put_rss = timed(lambda: plain_copy(source, copy))
        infos = []

        def put() -> None:
            with source.open("rb") as data:
                infos.append(store.put(TRUST, data, kind=MediaKind.VIDEO))

        put_s, put_rss = timed(put)
        media_id = infos[0].media_id
        base_get, base_get_rss = timed(lambda: plain_read(copy))
        get_s, get_rss = timed(lambda: drain(store.open(TRUST, media_id)))
        stream_s, stream_rss = timed(lambda: drain(streaming.open(TRUST, media_id)))
        assert infos[0].size == size

        mib = size / MIB
        how = "VmHWM reset" if reset_peak() else "VmRSS sampling"
        print(f"media store benchmark: {mib:.0f} MiB clip, segment 1 MiB, {os.cpu_count()} CPUs")
        print(f"peak RSS measured by {how}; load average before: {os.getloadavg()[0]:.2f}")
        print(f"{'operation':<34}{'seconds':>9}{'MiB/s':>9}{'ratio':>8}{'peak RSS +MiB':>15}")
        rows = [
            ("baseline put (plain copy + fsync)", base_put, 1.0, base_put_rss),
            ("put (encrypt + fsync + rename)", put_s, put_s / base_put, put_rss),
            ("baseline get (plain read)", base_get, 1.0, base_get_rss),
            ("get (verify pass + decrypt pass)", get_s, get_s / base_get, get_rss),
            ("get, one-pass streaming mode", stream_s, stream_s / base_get, stream_rss),
        ]
        for name, seconds, ratio, rss in rows:
            print(f"{name:<34}{seconds:>9.2f}{mib / seconds:>9.0f}{ratio:>7.1f}x{rss / MIB:>15.1f}")
        print("ratio = time / baseline time of the same direction (lower is better)")


if __name__ == "__main__":
    main()
