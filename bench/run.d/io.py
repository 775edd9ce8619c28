#!/usr/bin/env python3
"""Access patterns for bench/run. Each prints one line: "<bytes> <seconds> <MB/s>" (MB = 10^6 bytes), or for stat-loop
"<entries> <ns per stat>".

  io.py mmap-touch FILE          mmap the file, touch one byte per 4 KiB page in offset order (vLLM's safetensors load)
  io.py par-read FILE N BS       N descriptors (one thread each), descriptor i reads the i-th 1/N of the file in BS reads
  io.py mmap-procs FILE N        N processes each mmap the whole file and touch it in offset order, at the same time;
                                 MB/s = file size / wall time (the bytes every process saw once)
  io.py stat-loop DIR N          os.stat of every entry of DIR, N passes (after one warm-up pass); ns per stat
"""
import mmap
import os
import sys
import threading
import time

PAGE = 4096


def touch(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
        s = 0
        for off in range(0, size, PAGE):
            s += m[off]
        m.close()
        return size
    finally:
        os.close(fd)


def mmap_touch(path):
    t = time.perf_counter()
    size = touch(path)
    return size, time.perf_counter() - t


def par_read(path, n, bs):
    size = os.stat(path).st_size
    chunk = (size + n - 1) // n
    errors = []

    def worker(i):
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                off, end = i * chunk, min(size, (i + 1) * chunk)
                while off < end:
                    got = os.pread(fd, min(bs, end - off), off)
                    if not got:
                        raise IOError(f"short read at {off}")
                    off += len(got)
            finally:
                os.close(fd)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    el = time.perf_counter() - t
    if errors:
        raise errors[0]
    return size, el


def mmap_procs(path, n):
    size = os.stat(path).st_size
    t = time.perf_counter()
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                touch(path)
                os._exit(0)
            except BaseException:  # noqa: BLE001
                os._exit(1)
        pids.append(pid)
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    el = time.perf_counter() - t
    if bad:
        raise SystemExit(f"{bad} of {n} mmap readers failed")
    return size, el


def stat_loop(directory, passes):
    names = [os.path.join(directory, e) for e in os.listdir(directory)]
    for p in names:
        os.stat(p)
    t = time.perf_counter_ns()
    for _ in range(passes):
        for p in names:
            os.stat(p)
    el = time.perf_counter_ns() - t
    print(f"{len(names)} {el / (passes * len(names)):.0f}")


def main(argv):
    cmd = argv[1]
    if cmd == "stat-loop":
        stat_loop(argv[2], int(argv[3]))
        return
    if cmd == "mmap-touch":
        size, el = mmap_touch(argv[2])
    elif cmd == "par-read":
        size, el = par_read(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "mmap-procs":
        size, el = mmap_procs(argv[2], int(argv[3]))
    else:
        raise SystemExit(__doc__)
    print(f"{size} {el:.6f} {size / el / 1e6:.1f}")


if __name__ == "__main__":
    main(sys.argv)
