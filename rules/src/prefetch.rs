//! Asking the processor to fetch memory before it is read.
//!
//! With 100 000 clients every observation goes to a client whose monitor, state and policy are
//! far out of the caches, and waiting for them is most of the time an observation takes. The
//! engine judges a batch by fetching each client's memory a few observations ahead, so those
//! waits overlap instead of following one another.

/// Hints that the `bytes` from `start` will be read soon. Only a hint: it never faults, reads
/// nothing and changes nothing, whatever the address.
#[inline]
pub(crate) fn range<T>(start: *const T, bytes: usize) {
    let start = start.cast::<u8>();
    let mut offset = 0;
    while offset < bytes {
        line(start.wrapping_add(offset));
        offset += 64;
    }
}

#[inline]
// The one unsafe block of the workspace (`unsafe_code` is denied everywhere else).
#[allow(unsafe_code)]
fn line(at: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that never faults and has no architectural effect, whatever
    // the address; SSE, which provides it, is part of every x86_64 processor.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// A slice's memory.
#[inline]
pub(crate) fn slice<T>(items: &[T]) {
    range(items.as_ptr(), std::mem::size_of_val(items));
}
