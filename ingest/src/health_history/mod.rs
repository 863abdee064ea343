//! A device's health over a period, for a technician's plots: battery, signal, temperature and
//! clock offset per slice of the period, the silences between heartbeats, and the frames lost.
//!
//! Built from HEARTBEAT frames only. A technician may see a device's health but never where its
//! wearer is or what they do, and even when the other frames came says something of that (a tag
//! reports its position more often while its wearer moves). Pure: the store reads the heartbeats
//! and the sequence gaps, [`HealthHistory::build`] sorts them into slices, so every edge of the
//! slicing is tested here without a database.

use firmware_proto::Heartbeat;

/// One heartbeat as the history needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeartbeatSample {
    /// When the device says it sent it.
    pub device_ms: i64,
    /// When ingest received it.
    pub received_ms: i64,
    /// Sent live, not from the device's buffer: only such a frame says how far its clock is off
    /// (a buffered one also carries how long it waited).
    pub live: bool,
    /// What it reported.
    pub heartbeat: Heartbeat,
}

/// Frames that never arrived: a hole in the device's sequence ingest stopped waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostFrames {
    /// When ingest gave up waiting.
    pub detected_ms: i64,
    /// How many frames.
    pub frames: u64,
}

/// A slice of the period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthSlice {
    /// Its start (inclusive); it ends where the next begins, the last at the period's end.
    pub start_ms: i64,
    /// Heartbeats in it.
    pub heartbeats: u32,
    /// The lowest battery charge reported in it, in percent.
    pub battery_percent_min: Option<u8>,
    /// The lowest battery voltage reported in it, in millivolts.
    pub battery_mv_min: Option<u16>,
    /// The mean signal strength reported in it, in dBm.
    pub rssi_dbm_mean: Option<f64>,
    /// The weakest signal reported in it, in dBm.
    pub rssi_dbm_min: Option<i8>,
    /// The highest temperature reported in it, in °C.
    pub temperature_c_max: Option<i8>,
    /// The device's clock minus ingest's, in milliseconds, from the live heartbeat that waited
    /// least on its way (the largest difference: delay only ever lowers it).
    pub clock_offset_ms: Option<i64>,
    /// Frames found lost in it.
    pub lost_frames: u64,
}

/// A span of the period with no heartbeat for longer than the silence asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Silence {
    /// The last heartbeat before it (or the period's start).
    pub from_ms: i64,
    /// The next heartbeat (or the end of what is known: the period's end, or now).
    pub to_ms: i64,
}

/// A device's health over `[from_ms, to_ms)`, in equal slices.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthHistory {
    /// The period's start.
    pub from_ms: i64,
    /// The period's end.
    pub to_ms: i64,
    /// Each slice's length (the last may be shorter).
    pub slice_ms: i64,
    /// The slices, in time order, covering the period.
    pub slices: Vec<HealthSlice>,
    /// Silences longer than asked, in time order.
    pub silences: Vec<Silence>,
}

/// Why a history cannot be built as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The period ends at or before it starts.
    #[error("the period must end after it starts")]
    EmptyPeriod,
    /// Slices must number 1 to [`MAX_SLICES`].
    #[error("the number of slices must be 1 to {MAX_SLICES}")]
    Slices,
    /// A silence must be at least a second.
    #[error("a silence must be at least a second long")]
    Silence,
}

/// The most slices a history is cut into: more than a plot's width in points is never needed.
pub const MAX_SLICES: u32 = 1000;

impl HealthHistory {
    /// Sorts `heartbeats` (in device-time order) and `lost` into `slices` equal slices of
    /// `[from_ms, to_ms)`, and finds the silences over `silence_ms` up to `known_until_ms` (the
    /// period's end, or now if sooner: a silence is not counted into the future). Samples
    /// outside the period are ignored.
    pub fn build(
        from_ms: i64,
        to_ms: i64,
        slices: u32,
        silence_ms: i64,
        known_until_ms: i64,
        heartbeats: &[HeartbeatSample],
        lost: &[LostFrames],
    ) -> Result<HealthHistory, HistoryError> {
        if to_ms <= from_ms {
            return Err(HistoryError::EmptyPeriod);
        }
        if !(1..=MAX_SLICES).contains(&slices) {
            return Err(HistoryError::Slices);
        }
        if silence_ms < 1000 {
            return Err(HistoryError::Silence);
        }
        let span = i128::from(to_ms) - i128::from(from_ms);
        // Rounded up, so that `slices` of them cover the period; at least 1 ms.
        let slice_ms = i64::try_from((span + i128::from(slices) - 1) / i128::from(slices))
            .unwrap_or(i64::MAX)
            .max(1);
        let count = usize::try_from((span + i128::from(slice_ms) - 1) / i128::from(slice_ms))
            .unwrap_or(1)
            .max(1);
        let mut out: Vec<HealthSlice> = (0..count)
            .map(|i| HealthSlice {
                start_ms: from_ms.saturating_add(slice_ms.saturating_mul(i as i64)),
                ..HealthSlice::default()
            })
            .collect();
        let index = |at: i64| -> Option<usize> {
            (from_ms..to_ms)
                .contains(&at)
                .then(|| {
                    usize::try_from((i128::from(at) - i128::from(from_ms)) / i128::from(slice_ms))
                        .ok()
                })
                .flatten()
                .map(|i| i.min(count - 1))
        };
        let mut rssi_sums = vec![(0i64, 0i64); count];
        for sample in heartbeats {
            let Some(i) = index(sample.device_ms) else {
                continue;
            };
            let s = &mut out[i];
            let hb = &sample.heartbeat;
            s.heartbeats += 1;
            s.battery_percent_min = Some(min(s.battery_percent_min, hb.battery_percent));
            s.battery_mv_min = Some(min(s.battery_mv_min, hb.battery_mv));
            s.rssi_dbm_min = Some(min(s.rssi_dbm_min, hb.rssi_dbm));
            s.temperature_c_max = Some(
                s.temperature_c_max
                    .map_or(hb.temperature_c, |t| t.max(hb.temperature_c)),
            );
            rssi_sums[i].0 += i64::from(hb.rssi_dbm);
            rssi_sums[i].1 += 1;
            if sample.live {
                let offset = sample.device_ms.saturating_sub(sample.received_ms);
                s.clock_offset_ms = Some(s.clock_offset_ms.map_or(offset, |o| o.max(offset)));
            }
        }
        for (s, (sum, n)) in out.iter_mut().zip(rssi_sums) {
            if n > 0 {
                s.rssi_dbm_mean = Some(sum as f64 / n as f64);
            }
        }
        for gap in lost {
            if let Some(i) = index(gap.detected_ms) {
                out[i].lost_frames = out[i].lost_frames.saturating_add(gap.frames);
            }
        }
        Ok(HealthHistory {
            from_ms,
            to_ms,
            slice_ms,
            slices: out,
            silences: silences(from_ms, to_ms.min(known_until_ms), silence_ms, heartbeats),
        })
    }
}

fn min<T: Ord + Copy>(was: Option<T>, new: T) -> T {
    was.map_or(new, |w| w.min(new))
}

/// The spans over `silence_ms` between `from_ms`, each heartbeat in the period, and `until_ms`.
fn silences(
    from_ms: i64,
    until_ms: i64,
    silence_ms: i64,
    heartbeats: &[HeartbeatSample],
) -> Vec<Silence> {
    let mut times: Vec<i64> = heartbeats
        .iter()
        .map(|h| h.device_ms)
        .filter(|t| (from_ms..until_ms).contains(t))
        .collect();
    times.sort_unstable();
    let mut out = Vec::new();
    let mut last = from_ms;
    for t in times
        .into_iter()
        .chain((until_ms > from_ms).then_some(until_ms))
    {
        if t.saturating_sub(last) > silence_ms {
            out.push(Silence {
                from_ms: last,
                to_ms: t,
            });
        }
        last = last.max(t);
    }
    out
}

#[cfg(test)]
mod tests;
