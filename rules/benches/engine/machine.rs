//! The machine's side of the bench: resident and huge-page memory, re-running with the heap in
//! huge pages, settings from the environment, and the median of the repetitions.

pub(crate) fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Of the process's memory, how much is in transparent huge pages.
pub(crate) fn huge_kib() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let line = rollup.lines().find(|l| l.starts_with("AnonHugePages:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the bench again with the heap in huge pages (see the module's comment) and exits with
/// its status; returns when it runs as started.
pub(crate) fn rerun_with_huge_pages() {
    if std::env::var_os("GLIBC_TUNABLES").is_some()
        || std::env::var("BENCH_HUGEPAGES").is_ok_and(|v| v == "0")
    {
        return;
    }
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    let status = std::process::Command::new(me)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
        .status()
        .expect("the bench runs itself again");
    std::process::exit(status.code().unwrap_or(1));
}

pub(crate) fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
