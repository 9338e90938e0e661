"""wlconfig.py: read config/workload.toml (the immutable workload file).

Only reads: the harness owner edits the file, never the scripts.  Shared by
run-profile.sh and agent-run.sh so that both agree on what a workload,
a size and a pinning mean.
"""
import os
import tomllib


class ConfigError(Exception):
    """The workload file is missing, malformed, or lacks what was asked."""


def load(path):
    """Returns the parsed TOML document at `path` (a dict)."""
    if not os.path.exists(path):
        raise ConfigError(f"{path} does not exist (merge the bench branch?)")
    with open(path, "rb") as f:
        try:
            return tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: {e}") from e


def workload_names(doc):
    """Names of the workloads the file defines, in file order."""
    return list(doc.get("workloads", {}).keys())


def workload(doc, name, size=None, quick=False):
    """Returns a dict describing one workload at one size.

    Keys: name, size, runs (timed runs per process from the file),
    warmup (untimed runs), variants, unit, messages_per_op (1 unless the
    file says otherwise), cpus (taskset list), timeout_s.  `size` None
    means the first size listed (first quick size when `quick`).  A size
    not in the file is allowed; it takes the runs of the first entry.
    """
    wls = doc.get("workloads", {})
    if name not in wls:
        known = ", ".join(workload_names(doc)) or "none"
        raise ConfigError(f"unknown workload '{name}' (known: {known})")
    w = wls[name]
    sizes = w.get("quick_sizes" if quick else "sizes") or w.get("sizes") or []
    if not sizes:
        raise ConfigError(f"workload '{name}' lists no sizes")
    entry = sizes[0]
    if size is not None:
        match = [s for s in w.get("sizes", []) + w.get("quick_sizes", [])
                 if str(s.get("size")) == size]
        entry = match[0] if match else {"size": size,
                                        "runs": sizes[0].get("runs", 10)}
    run = doc.get("run", {})
    return {
        "name": name,
        "size": str(entry["size"]),
        "runs": int(entry.get("runs", 10)),
        "warmup": int(w.get("warmup_runs", 1)),
        "variants": list(w.get("variants", ["engine", "baseline"])),
        "unit": w.get("unit", "op"),
        "messages_per_op": int(w.get("messages_per_op", 1)),
        "cpus": str(run.get("cpus", "0")),
        "timeout_s": int(run.get("timeout_s", 120)),
    }


def variants_manifest(build_dir):
    """Reads <build>/bench/variants.txt written by bench/CMakeLists.txt.

    Returns {(workload, variant): path-or-None}; None means SKIPPED, with
    the reason under the key (workload, variant, 'why').
    """
    path = os.path.join(build_dir, "bench", "variants.txt")
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split(None, 3)
            if len(parts) < 3:
                continue
            wl, var, what = parts[0], parts[1], parts[2]
            if what == "SKIPPED":
                out[(wl, var)] = None
                out[(wl, var, "why")] = parts[3].strip() if len(parts) > 3 else ""
            else:
                out[(wl, var)] = what
    return out
