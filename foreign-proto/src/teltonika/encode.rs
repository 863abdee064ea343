//! Teltonika's wire format written, as a tracker writes it: for the simulator that plays a
//! tracker, and for tests that read back what they wrote.

use super::{AvlRecord, Codec, IoValue, crc16_ibm};

/// A login: the IMEI's length in two bytes, then its digits.
pub fn encode_login(imei: &str) -> Vec<u8> {
    let digits = imei.as_bytes();
    let mut out = Vec::with_capacity(2 + digits.len());
    out.extend_from_slice(&(digits.len() as u16).to_be_bytes());
    out.extend_from_slice(digits);
    out
}

/// An AVL data packet of `records` (at most 255) in `codec`. A Codec 8 packet holds only fixed
/// values with one-byte ids: anything else in a record is left out of it.
pub fn encode_packet(codec: Codec, records: &[AvlRecord]) -> Vec<u8> {
    let count = records.len().min(255) as u8;
    let mut data = vec![
        match codec {
            Codec::Eight => 0x08,
            Codec::EightExtended => 0x8E,
        },
        count,
    ];
    for record in &records[..usize::from(count)] {
        encode_record(&mut data, codec, record);
    }
    data.push(count);
    let mut out = Vec::with_capacity(data.len() + 12);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&u32::from(crc16_ibm(&data)).to_be_bytes());
    out
}

fn encode_record(out: &mut Vec<u8>, codec: Codec, record: &AvlRecord) {
    let id = |out: &mut Vec<u8>, v: u16| match codec {
        Codec::Eight => out.push(v as u8),
        Codec::EightExtended => out.extend_from_slice(&v.to_be_bytes()),
    };
    out.extend_from_slice(&record.timestamp_ms.to_be_bytes());
    out.push(record.priority);
    let gps = &record.gps;
    out.extend_from_slice(&gps.longitude.to_be_bytes());
    out.extend_from_slice(&gps.latitude.to_be_bytes());
    out.extend_from_slice(&gps.altitude.to_be_bytes());
    out.extend_from_slice(&gps.angle.to_be_bytes());
    out.push(gps.satellites);
    out.extend_from_slice(&gps.speed.to_be_bytes());
    let fits = |element: &&(u16, IoValue)| codec == Codec::EightExtended || element.0 <= 0xFF;
    let of_size = |size: u8| -> Vec<(u16, u64)> {
        record
            .io
            .iter()
            .filter(fits)
            .filter_map(|(id, value)| match value {
                IoValue::Fixed { size: s, value } if *s == size => Some((*id, *value)),
                _ => None,
            })
            .collect()
    };
    let variable: Vec<(u16, &[u8])> = match codec {
        Codec::Eight => Vec::new(),
        Codec::EightExtended => record
            .io
            .iter()
            .filter_map(|(id, value)| match value {
                IoValue::Bytes(bytes) if bytes.len() <= usize::from(u16::MAX) => {
                    Some((*id, bytes.as_slice()))
                }
                _ => None,
            })
            .collect(),
    };
    let groups: Vec<(u8, Vec<(u16, u64)>)> = [1u8, 2, 4, 8].map(|s| (s, of_size(s))).into();
    let total = groups.iter().map(|(_, g)| g.len()).sum::<usize>() + variable.len();
    id(out, record.event_io);
    id(out, total as u16);
    for (size, group) in &groups {
        id(out, group.len() as u16);
        for (element, value) in group {
            id(out, *element);
            out.extend_from_slice(&value.to_be_bytes()[8 - usize::from(*size)..]);
        }
    }
    if codec == Codec::EightExtended {
        out.extend_from_slice(&(variable.len() as u16).to_be_bytes());
        for (element, bytes) in variable {
            out.extend_from_slice(&element.to_be_bytes());
            out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}
