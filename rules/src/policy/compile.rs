//! Compiling a policy: [`MonitoringPolicy::compile`] checks it whole (devices, addresses,
//! curfew, zones and their contradictions, proximity, health) and prepares it, or says in one
//! [`PolicyError`] what is wrong and where.

use std::collections::HashSet;

use crate::geometry::CompiledShape;
use crate::schedule::{CurfewPlan, Interval, Timetable, WindowOrigin};
use crate::time::{Span, Timestamp};

use super::compiled::{CompiledAddress, CompiledPolicy, CompiledZone, HotZone, ProximityRule};
use super::error::PolicyError;
use super::written::{Confirmation, Curfew, DeviceKind, MAX_DEVICES, MonitoringPolicy, ZoneKind};

impl MonitoringPolicy {
    /// Checks the policy whole and prepares it for judging.
    pub fn compile(self) -> Result<CompiledPolicy, PolicyError> {
        let period = self.checked_period()?;
        self.check_devices()?;
        let addresses = self.compile_addresses()?;
        let curfew = match &self.curfew {
            Some(curfew) => Some(self.compile_curfew(curfew)?),
            None => None,
        };
        let zones = self.compile_zones()?;
        self.check_zone_contradictions(&addresses, &zones)?;
        self.check_proximity()?;
        self.check_health()?;
        let grace = self
            .curfew
            .as_ref()
            .map(|c| c.grace.clone())
            .unwrap_or_default();
        let hot_zones = zones.iter().map(HotZone::new).collect();
        Ok(CompiledPolicy {
            hot_zones,
            health: self.health.clone(),
            proximity: self.proximity.iter().map(ProximityRule::new).collect(),
            has_curfew: curfew.is_some(),
            source: self,
            period,
            addresses,
            curfew,
            zones,
            grace,
        })
    }

    /// The curfew's plan alone (its windows, less the authorised absences), checked as
    /// [`MonitoringPolicy::compile`] checks it: the curfew time a policy requires does not
    /// depend on the devices worn, and holds before any is fitted (the court summary's
    /// required hours).
    pub fn curfew_plan(&self) -> Result<Option<CurfewPlan>, PolicyError> {
        self.curfew
            .as_ref()
            .map(|curfew| self.compile_curfew(curfew))
            .transpose()
    }

    fn checked_period(&self) -> Result<Interval, PolicyError> {
        period(
            "the monitoring period",
            self.monitoring_from,
            self.monitoring_until,
        )
    }

    fn check_devices(&self) -> Result<(), PolicyError> {
        if self.devices.is_empty() {
            return Err(PolicyError::NoDevices);
        }
        if self.devices.len() > MAX_DEVICES {
            return Err(PolicyError::TooManyDevices(self.devices.len()));
        }
        let mut seen = HashSet::new();
        for device in &self.devices {
            if device.id == 0 {
                return Err(PolicyError::ZeroDevice);
            }
            if !seen.insert(device.id) {
                return Err(PolicyError::DuplicateDevice(device.id));
            }
            if device.kind == DeviceKind::Phone {
                return Err(PolicyError::PhoneAsClients(device.id));
            }
            if let Some(span) = device.comm_lost_after {
                positive(&format!("device {} comm_lost_after", device.id), span)?;
            }
        }
        Ok(())
    }

    fn compile_addresses(&self) -> Result<Vec<CompiledAddress>, PolicyError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.addresses.len());
        for address in &self.addresses {
            if !seen.insert(address.id.as_str()) {
                return Err(PolicyError::DuplicateAddress(address.id.clone()));
            }
            let shape = CompiledShape::compile(&address.zone).map_err(|source| {
                PolicyError::AddressShape {
                    address: address.id.clone(),
                    source,
                }
            })?;
            if let Some(unit) = address.home_unit {
                let is_home_unit = self
                    .devices
                    .iter()
                    .any(|d| d.id == unit && d.kind == DeviceKind::HomeUnit);
                if !is_home_unit {
                    return Err(PolicyError::UnknownHomeUnit {
                        address: address.id.clone(),
                        device: unit,
                    });
                }
            }
            out.push(CompiledAddress {
                shape,
                home_unit: address.home_unit,
            });
        }
        Ok(out)
    }

    fn address_index(&self, id: &str) -> Result<u16, PolicyError> {
        self.addresses
            .iter()
            .position(|a| a.id == id)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or_else(|| PolicyError::UnknownAddress(id.to_owned()))
    }

    fn compile_curfew(&self, curfew: &Curfew) -> Result<CurfewPlan, PolicyError> {
        let g = &curfew.grace;
        for (what, span) in [
            ("curfew grace late_arrival", g.late_arrival),
            ("curfew grace early_departure", g.early_departure),
            ("curfew grace absence", g.absence),
        ] {
            non_negative(what, span)?;
        }
        positive("curfew grace presence_valid_for", g.presence_valid_for)?;
        positive("curfew grace fix_valid_for", g.fix_valid_for)?;
        let mut slots = Vec::new();
        for entry in &curfew.timetable {
            let address = self.address_index(&entry.address)?;
            slots.extend(entry.slots.iter().map(|s| (s.clone(), address)));
        }
        let timetable = Timetable::new(self.time_zone, &slots)?;
        let mut extras = Vec::new();
        for (extra, origin) in curfew.extra.iter().map(|e| (e, WindowOrigin::Extra)).chain(
            curfew
                .first_night
                .iter()
                .map(|e| (e, WindowOrigin::FirstNight)),
        ) {
            let span = period(
                &format!("extra curfew `{}`", extra.id),
                Some(extra.from),
                Some(extra.until),
            )?;
            extras.push((span, self.address_index(&extra.address)?, origin));
        }
        let mut absences = Vec::new();
        for absence in &curfew.absences {
            absences.push(period(
                &format!("authorised absence `{}`", absence.id),
                Some(absence.from),
                Some(absence.until),
            )?);
        }
        Ok(CurfewPlan::new(timetable, extras, absences)?)
    }

    fn compile_zones(&self) -> Result<Vec<CompiledZone>, PolicyError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.zones.len());
        for zone in &self.zones {
            if !seen.insert(zone.id.as_str()) {
                return Err(PolicyError::DuplicateZone(zone.id.clone()));
            }
            let shape =
                CompiledShape::compile(&zone.shape).map_err(|source| PolicyError::ZoneShape {
                    zone: zone.id.clone(),
                    source,
                })?;
            let valid = period(
                &format!("zone `{}` validity", zone.id),
                zone.valid_from,
                zone.valid_until,
            )?;
            let schedule = if zone.schedule.is_empty() {
                None
            } else {
                let slots: Vec<_> = zone.schedule.iter().map(|s| (s.clone(), 0)).collect();
                Some(Timetable::new(self.time_zone, &slots).map_err(|source| {
                    PolicyError::ZoneSchedule {
                        zone: zone.id.clone(),
                        source,
                    }
                })?)
            };
            if let Some(buffer) = zone.warning_buffer_m {
                distance(&format!("zone `{}` warning_buffer_m", zone.id), buffer)?;
            }
            check_confirmation(&format!("zone `{}`", zone.id), &zone.confirm)?;
            out.push(CompiledZone {
                kind: zone.kind,
                shape,
                valid,
                schedule: schedule.map(Box::new),
                warning_m: zone.warning_buffer_m.filter(|b| *b > 0.0),
                confirm: zone.confirm.clone(),
            });
        }
        Ok(out)
    }

    /// Zones that no behaviour could satisfy are a mistake in the order, not a breach.
    fn check_zone_contradictions(
        &self,
        addresses: &[CompiledAddress],
        zones: &[CompiledZone],
    ) -> Result<(), PolicyError> {
        let curfew_addresses: HashSet<&str> = self
            .curfew
            .iter()
            .flat_map(|c| {
                c.timetable
                    .iter()
                    .map(|t| t.address.as_str())
                    .chain(c.extra.iter().map(|e| e.address.as_str()))
                    .chain(c.first_night.iter().map(|e| e.address.as_str()))
            })
            .collect();
        for (zone, compiled) in self.zones.iter().zip(zones) {
            for (address, shape) in self.addresses.iter().zip(addresses) {
                if !curfew_addresses.contains(address.id.as_str()) || !zone.schedule.is_empty() {
                    continue;
                }
                match zone.kind {
                    ZoneKind::Exclusion if compiled.shape.overlaps(&shape.shape) => {
                        return Err(PolicyError::ExclusionCoversAddress {
                            zone: zone.id.clone(),
                            address: address.id.clone(),
                        });
                    }
                    ZoneKind::Inclusion if !compiled.shape.contains(&shape.shape) => {
                        return Err(PolicyError::AddressOutsideInclusion {
                            zone: zone.id.clone(),
                            address: address.id.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        for (exclusion, ex) in self.zones.iter().zip(zones) {
            for (inclusion, inc) in self.zones.iter().zip(zones) {
                if exclusion.kind == ZoneKind::Exclusion
                    && inclusion.kind == ZoneKind::Inclusion
                    && ex.shape.contains(&inc.shape)
                {
                    return Err(PolicyError::ExclusionCoversInclusion {
                        exclusion: exclusion.id.clone(),
                        inclusion: inclusion.id.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn check_proximity(&self) -> Result<(), PolicyError> {
        for p in &self.proximity {
            let what = format!("victim proximity `{}`", p.id);
            if self.devices.iter().any(|d| d.id == p.victim_device) || p.victim_device == 0 {
                return Err(PolicyError::VictimDeviceIsClients {
                    id: p.id.clone(),
                    device: p.victim_device,
                });
            }
            distance(&format!("{what} alarm_m"), p.alarm_m)?;
            distance(&format!("{what} release_m"), p.release_m)?;
            if p.alarm_m <= 0.0 {
                return Err(bad(&what, "alarm_m must be more than 0"));
            }
            if p.release_m < p.alarm_m {
                return Err(bad(&what, "release_m must be at least alarm_m"));
            }
            if let Some(w) = p.warning_m {
                distance(&format!("{what} warning_m"), w)?;
                if w <= p.alarm_m {
                    return Err(bad(&what, "warning_m must be more than alarm_m"));
                }
            }
            positive(&format!("{what} max_fix_gap"), p.max_fix_gap)?;
            check_confirmation(&what, &p.confirm)?;
        }
        Ok(())
    }

    fn check_health(&self) -> Result<(), PolicyError> {
        let h = &self.health;
        positive("health comm_lost_tag", h.comm_lost_tag)?;
        positive("health comm_lost_home_unit", h.comm_lost_home_unit)?;
        positive("health clock_skew_limit", h.clock_skew_limit)?;
        if h.battery_low_pct > 100 || h.battery_critical_pct > h.battery_low_pct {
            return Err(bad(
                "health",
                "battery thresholds must satisfy critical <= low <= 100",
            ));
        }
        if let Some(every) = h.charge_every {
            positive("health charge_every", every)?;
        }
        if let Some(m) = &h.motion_without_fix {
            positive("health motion_without_fix motion", m.motion)?;
            positive("health motion_without_fix within", m.within)?;
            if m.motion > m.within {
                return Err(bad(
                    "health motion_without_fix",
                    "motion cannot be longer than within",
                ));
            }
        }
        Ok(())
    }
}

fn bad(what: &str, reason: &str) -> PolicyError {
    PolicyError::BadSetting {
        what: what.to_owned(),
        reason: reason.to_owned(),
    }
}

fn period(
    what: &str,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Result<Interval, PolicyError> {
    let span = Interval {
        start: from.unwrap_or(Timestamp::MIN),
        end: until.unwrap_or(Timestamp::MAX),
    };
    if span.end <= span.start {
        return Err(PolicyError::EmptyPeriod {
            what: what.to_owned(),
            from: span.start,
            until: span.end,
        });
    }
    Ok(span)
}

fn distance(what: &str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PolicyError::BadDistance {
            what: what.to_owned(),
            value,
        })
    }
}

fn non_negative(what: &str, value: Span) -> Result<(), PolicyError> {
    if value >= Span::ZERO {
        Ok(())
    } else {
        Err(PolicyError::NegativeSpan {
            what: what.to_owned(),
            value,
        })
    }
}

fn positive(what: &str, value: Span) -> Result<(), PolicyError> {
    if value > Span::ZERO {
        Ok(())
    } else {
        Err(bad(what, "must be longer than 0s"))
    }
}

fn check_confirmation(what: &str, c: &Confirmation) -> Result<(), PolicyError> {
    if c.fixes == 0 || c.fixes > 20 {
        return Err(bad(what, "confirm.fixes must be between 1 and 20"));
    }
    non_negative(&format!("{what} confirm.dwell"), c.dwell)?;
    positive(&format!("{what} confirm.unknown_after"), c.unknown_after)?;
    distance(&format!("{what} confirm.hysteresis_m"), c.hysteresis_m)
}
