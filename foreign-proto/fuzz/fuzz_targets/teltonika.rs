//! Arbitrary bytes into Teltonika's decoders: the login, the AVL packet and a record alone.
//! Nothing may panic; a packet taken is within the bytes given, and each of its records reads
//! again alone from the bytes it keeps, as stored evidence is read.
#![no_main]

use foreign_proto::teltonika::{
    MAX_DATA_LENGTH, crc16_ibm, decode_login, decode_packet, decode_record,
};
use libfuzzer_sys::fuzz_target;

fn check_packet(bytes: &[u8]) {
    if let Ok(Some((packet, used))) = decode_packet(bytes) {
        assert!(used <= bytes.len());
        for record in &packet.records {
            assert_eq!(decode_record(&record.raw).as_ref(), Ok(record));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((imei, used))) = decode_login(data) {
        assert!(used <= data.len() && imei.bytes().all(|b| b.is_ascii_digit()));
    }
    check_packet(data);
    let _ = decode_record(data);
    // Random bytes almost never frame a packet whose CRC holds; frame them as one, so that the
    // fuzzer reaches the counts and records behind the CRC. Whole, it is never "more needed".
    if (4..=MAX_DATA_LENGTH).contains(&data.len()) {
        let mut packet = vec![0, 0, 0, 0];
        packet.extend(u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
        packet.extend_from_slice(data);
        packet.extend(u32::from(crc16_ibm(data)).to_be_bytes());
        assert_ne!(decode_packet(&packet), Ok(None));
        check_packet(&packet);
    }
});
