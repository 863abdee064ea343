//! EVENT: the one table of event codes, their protocol names and meanings. Everything above
//! (the judge, the console's labels) matches on [`EventCode`], so a new code is a compile error there.

use super::be16;

/// EVENT (0x03): something happened on the device.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Event {
    /// What happened.
    pub code: EventCode,
    /// A code-specific value (battery % for BATTERY_LOW/CRITICAL, the reason for REBOOT).
    pub value: u16,
}

impl Event {
    pub(super) const LEN: usize = 4;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Event {
            code: EventCode::from_u16(be16(p[0], p[1])),
            value: be16(p[2], p[3]),
        }
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
        let [c0, c1] = self.code.to_u16().to_be_bytes();
        let [v0, v1] = self.value.to_be_bytes();
        [c0, c1, v0, v1]
    }
}

/// Serialized as `{"code": name, "code_raw": u16, "value": u16}` so an unknown code keeps its
/// number.
#[cfg(feature = "serde")]
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Event", 3)?;
        s.serialize_field("code", self.code.name())?;
        s.serialize_field("code_raw", &self.code.to_u16())?;
        s.serialize_field("value", &self.value)?;
        s.end()
    }
}

/// EVENT codes. A code this version does not know is kept as `Unknown`, not rejected, so newer
/// firmware can add events without the engine dropping them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum EventCode {
    /// STRAP_OPENED (0x0001): the strap around the ankle was opened or cut.
    StrapOpened,
    /// STRAP_CLOSED (0x0002): the strap is closed again.
    StrapClosed,
    /// CASE_OPENED (0x0003): the device's case was opened.
    CaseOpened,
    /// CASE_CLOSED (0x0004): the case is closed again.
    CaseClosed,
    /// SKIN_CONTACT_LOST (0x0005): the tag no longer touches skin (taken off, or shielded).
    SkinContactLost,
    /// SKIN_CONTACT_RESTORED (0x0006): the tag touches skin again.
    SkinContactRestored,
    /// CHARGER_CONNECTED (0x0007): charging began.
    ChargerConnected,
    /// CHARGER_DISCONNECTED (0x0008): charging ended.
    ChargerDisconnected,
    /// BATTERY_LOW (0x0009); value = battery %.
    BatteryLow,
    /// BATTERY_CRITICAL (0x000A); value = battery %.
    BatteryCritical,
    /// JAMMING_SUSPECTED (0x000B): the radio or GNSS signal looks jammed.
    JammingSuspected,
    /// SHIELDING_SUSPECTED (0x000C): the device looks wrapped to block its signals.
    ShieldingSuspected,
    /// MAINS_POWER_LOST (0x000D): a home unit runs on its backup battery.
    MainsPowerLost,
    /// MAINS_POWER_RESTORED (0x000E): a home unit is on mains power again.
    MainsPowerRestored,
    /// REBOOT (0x000F); value = reason.
    Reboot,
    /// BUTTON_PRESSED (0x0010): the wearer pressed the device's button.
    ButtonPressed,
    /// A code this version does not define (use [`EventCode::from_u16`] so that known codes are
    /// never wrapped here).
    Unknown(u16),
}

impl EventCode {
    /// The code of a code number; unknown numbers are kept as `Unknown`.
    pub fn from_u16(code: u16) -> Self {
        match code {
            0x0001 => EventCode::StrapOpened,
            0x0002 => EventCode::StrapClosed,
            0x0003 => EventCode::CaseOpened,
            0x0004 => EventCode::CaseClosed,
            0x0005 => EventCode::SkinContactLost,
            0x0006 => EventCode::SkinContactRestored,
            0x0007 => EventCode::ChargerConnected,
            0x0008 => EventCode::ChargerDisconnected,
            0x0009 => EventCode::BatteryLow,
            0x000A => EventCode::BatteryCritical,
            0x000B => EventCode::JammingSuspected,
            0x000C => EventCode::ShieldingSuspected,
            0x000D => EventCode::MainsPowerLost,
            0x000E => EventCode::MainsPowerRestored,
            0x000F => EventCode::Reboot,
            0x0010 => EventCode::ButtonPressed,
            other => EventCode::Unknown(other),
        }
    }

    /// The code number.
    pub fn to_u16(self) -> u16 {
        match self {
            EventCode::StrapOpened => 0x0001,
            EventCode::StrapClosed => 0x0002,
            EventCode::CaseOpened => 0x0003,
            EventCode::CaseClosed => 0x0004,
            EventCode::SkinContactLost => 0x0005,
            EventCode::SkinContactRestored => 0x0006,
            EventCode::ChargerConnected => 0x0007,
            EventCode::ChargerDisconnected => 0x0008,
            EventCode::BatteryLow => 0x0009,
            EventCode::BatteryCritical => 0x000A,
            EventCode::JammingSuspected => 0x000B,
            EventCode::ShieldingSuspected => 0x000C,
            EventCode::MainsPowerLost => 0x000D,
            EventCode::MainsPowerRestored => 0x000E,
            EventCode::Reboot => 0x000F,
            EventCode::ButtonPressed => 0x0010,
            EventCode::Unknown(code) => code,
        }
    }

    /// A stable snake_case name; "unknown" for `Unknown`.
    pub fn name(self) -> &'static str {
        match self {
            EventCode::StrapOpened => "strap_opened",
            EventCode::StrapClosed => "strap_closed",
            EventCode::CaseOpened => "case_opened",
            EventCode::CaseClosed => "case_closed",
            EventCode::SkinContactLost => "skin_contact_lost",
            EventCode::SkinContactRestored => "skin_contact_restored",
            EventCode::ChargerConnected => "charger_connected",
            EventCode::ChargerDisconnected => "charger_disconnected",
            EventCode::BatteryLow => "battery_low",
            EventCode::BatteryCritical => "battery_critical",
            EventCode::JammingSuspected => "jamming_suspected",
            EventCode::ShieldingSuspected => "shielding_suspected",
            EventCode::MainsPowerLost => "mains_power_lost",
            EventCode::MainsPowerRestored => "mains_power_restored",
            EventCode::Reboot => "reboot",
            EventCode::ButtonPressed => "button_pressed",
            EventCode::Unknown(_) => "unknown",
        }
    }
}
