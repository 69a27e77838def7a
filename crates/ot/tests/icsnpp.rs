//! Conformance with CISA's ICSNPP Zeek plugins: Kensa's decode of each
//! plugin's test capture is compared, record by record and field by field,
//! with the logs Zeek wrote for it (timestamps are masked in those logs, so
//! records are matched as a multiset, not by time). At least 99 % of
//! records must agree on every compared field; known differences are
//! explained where the fields are chosen.

mod common;

use std::collections::HashMap;

use common::*;
use kensa_ot::decode::{dnp3, modbus};
use serde_json::Value;

fn endpoints(e: &Value) -> [String; 4] {
    [
        s(&e["src_ip"]),
        s(&e["src_port"]),
        s(&e["dst_ip"]),
        s(&e["dst_port"]),
    ]
}

/// (orig_h, orig_p, resp_h, resp_p) of the event's connection, taking the
/// client as originator.
fn conn(e: &Value, from_client: bool) -> Vec<String> {
    let [sh, sp, dh, dp] = endpoints(e);
    if from_client {
        vec![sh, sp, dh, dp]
    } else {
        vec![dh, dp, sh, sp]
    }
}

#[test]
fn modbus_log_agrees() {
    let Some(data) = ot_data() else { return };
    let base = data.join("icsnpp-modbus/testing");
    let ours = decode(&base.join("traces/modbus_example.pcap"));

    // modbus.log: one record per response (Zeek logs when the reply comes):
    // connection, function name (with _EXCEPTION on exceptions), exception.
    let expected = zeek_rows(&base.join("baseline/analyzer.basic/modbus.log"))
        .into_iter()
        .map(|r| r[2..8].to_vec())
        .collect();
    let mine = of(&ours.events, "modbus")
        .filter(|e| e["modbus"]["is_response"] == true)
        .map(|e| {
            let m = &e["modbus"];
            let fc = m["function_code"].as_u64().unwrap() as u8;
            let exc = m["exception_code"].as_u64().map(|c| c as u8);
            let mut name = modbus::function_name(fc).unwrap_or("UNKNOWN").to_string();
            if exc.is_some() {
                name.push_str("_EXCEPTION");
            }
            let mut r = conn(e, false);
            r.push(name);
            r.push(exc.map_or("-".into(), |c| {
                modbus::exception_name(c).unwrap_or("?").into()
            }));
            r
        })
        .collect();
    assert_agrees(
        "icsnpp-modbus modbus.log",
        agreement("icsnpp-modbus modbus.log", expected, mine),
        0.99,
    );

    // modbus_detailed.log: per transaction, transaction id, unit, function,
    // and for the read and multiple-write functions the start address and
    // quantity. Not compared: ICSNPP's address/quantity for the other
    // functions, where it reports its own conventions (quantity 1 for
    // single writes, 0 for file records and FIFO reads). Zeek logs
    // unmatched requests and responses on separate lines; records are
    // compared as a set per transaction for that reason.
    let dedup = |mut v: Vec<Vec<String>>| {
        v.sort();
        v.dedup();
        v
    };
    let with_range = |func: &str| {
        matches!(
            func,
            "READ_COILS"
                | "READ_DISCRETE_INPUTS"
                | "READ_HOLDING_REGISTERS"
                | "READ_INPUT_REGISTERS"
                | "WRITE_MULTIPLE_COILS"
                | "WRITE_MULTIPLE_REGISTERS"
        )
    };
    let expected = dedup(
        zeek_rows(&base.join("baseline/analyzer.basic/modbus_detailed.log"))
            .into_iter()
            .map(|r| {
                let mut rec = r[2..9].to_vec();
                if with_range(&r[8]) {
                    rec.extend([r[9].clone(), r[10].clone()]);
                }
                rec
            })
            .collect(),
    );
    let mine = dedup(
        of(&ours.events, "modbus")
            .filter(|e| e["modbus"]["is_response"] == false)
            .map(|e| {
                let m = &e["modbus"];
                let func = modbus::function_name(m["function_code"].as_u64().unwrap() as u8)
                    .unwrap_or("UNKNOWN");
                let mut r = conn(e, true);
                r.extend([s(&m["transaction_id"]), s(&m["unit_id"]), func.to_string()]);
                if with_range(func) {
                    r.extend([s(&m["address"]), s(&m["quantity"])]);
                }
                r
            })
            .collect(),
    );
    assert_agrees(
        "icsnpp-modbus modbus_detailed.log",
        agreement("icsnpp-modbus modbus_detailed.log", expected, mine),
        0.99,
    );
}

/// DNP3 application fragments (events with a function code), in order.
fn dnp3_fragments(events: &[Value]) -> impl Iterator<Item = &Value> {
    of(events, "dnp3").filter(|e| !e["dnp3"]["function_code"].is_null())
}

#[test]
fn dnp3_logs_agree() {
    let Some(data) = ot_data() else { return };
    let base = data.join("icsnpp-dnp3/testing");
    let ours = decode(&base.join("traces/dnp3_example.pcap"));
    assert_eq!(ours.stats.total_malformed(), 0);

    // dnp3.log: Zeek pairs each response with the last request on the
    // connection (or "-"), logging connection, request and reply function
    // names and the IIN. Replayed here from Kensa's fragments in order.
    let expected = zeek_rows(&base.join("baseline/analyzer.basic/dnp3.log"))
        .into_iter()
        .map(|r| r[2..9].to_vec())
        .collect();
    let mut pending: HashMap<Vec<String>, String> = HashMap::new();
    let mut mine = Vec::new();
    for e in dnp3_fragments(&ours.events) {
        let d = &e["dnp3"];
        let fc = d["function_code"].as_u64().unwrap() as u8;
        let name = dnp3::function_name(fc).unwrap_or("UNKNOWN").to_string();
        let is_response = fc >= 129;
        let c = conn(e, !is_response);
        if is_response {
            let mut r = c.clone();
            r.push(pending.remove(&c).unwrap_or_else(|| "-".into()));
            r.push(name);
            r.push(s(&d["iin"]));
            mine.push(r);
        } else {
            pending.insert(c, name);
        }
    }
    assert_agrees(
        "icsnpp-dnp3 dnp3.log",
        agreement("icsnpp-dnp3 dnp3.log", expected, mine),
        0.99,
    );

    // dnp3_objects.log: one record per object header of READ requests and
    // of responses carrying data objects (ICSNPP logs control objects,
    // group 12, in dnp3_control.log instead), with the message's own source
    // and destination, function, object type, count and index range.
    // Zeek names object types; the names used in the capture are mapped
    // to group/variation here.
    let object_name = |g: u64, v: u64| match (g, v) {
        (60, 1) => "Class 0 Data",
        (60, 2) => "Class 1 Data",
        (60, 3) => "Class 2 Data",
        (60, 4) => "Class 3 Data",
        (1, 2) => "Binary Input With Status",
        (10, 2) => "Binary Output Status",
        (30, 2) => "16-Bit Analog Input",
        (40, 2) => "16-Bit Analog Output Status",
        _ => "unmapped",
    };
    let expected = zeek_rows(&base.join("baseline/analyzer.basic/dnp3_objects.log"))
        .into_iter()
        .map(|r| r[7..16].to_vec())
        .collect();
    let mut mine = Vec::new();
    for e in dnp3_fragments(&ours.events) {
        let d = &e["dnp3"];
        let fc = d["function_code"].as_u64().unwrap() as u8;
        for o in d["objects"].as_array().unwrap() {
            let (g, v) = (
                o["group"].as_u64().unwrap(),
                o["variation"].as_u64().unwrap(),
            );
            if g == 12 || !(fc == 1 || fc == 129) {
                continue;
            }
            let mut r = endpoints(e).to_vec();
            r.push(dnp3::function_name(fc).unwrap().to_string());
            r.push(object_name(g, v).to_string());
            if o.get("start").is_some() {
                r.extend([s(&o["count"]), s(&o["start"]), s(&o["stop"])]);
            } else {
                r.extend(["-".to_string(), "-".to_string(), "-".to_string()]);
            }
            mine.push(r);
        }
    }
    assert_agrees(
        "icsnpp-dnp3 dnp3_objects.log",
        agreement("icsnpp-dnp3 dnp3_objects.log", expected, mine),
        0.99,
    );
}

#[test]
fn enip_and_cip_logs_agree() {
    let Some(data) = ot_data() else { return };
    let base = data.join("icsnpp-enip/tests");
    let cases = [
        ("enip_cip_example.pcap", "analyzer.basic"),
        (
            "multiple_service_packet_cip.pcapng",
            "analyzer.multiple_service_request",
        ),
        (
            "set_attribute_single_service_cip.pcapng",
            "analyzer.set_attr_single_service",
        ),
    ];
    for (capture, baseline) in cases {
        let ours = decode(&base.join("traces").join(capture));
        let logs = base.join("baseline").join(baseline);
        let label = |log: &str| format!("icsnpp-enip {capture} {log}");

        // enip.log: message source/destination, command, length, session
        // handle and status (all statuses in the capture are Success = 0).
        let expected = zeek_rows(&logs.join("enip.log"))
            .into_iter()
            .map(|r| [&r[7..11], &r[11..12], &r[13..15], &r[15..16]].concat())
            .collect();
        let mine = of(&ours.events, "enip")
            .filter(|e| !e["enip"]["command"].is_null())
            .map(|e| {
                let n = &e["enip"];
                let status = if n["status"] == 0 {
                    "Success".to_string()
                } else {
                    s(&n["status"])
                };
                let mut r = endpoints(e).to_vec();
                r.extend([
                    hex(&n["command"], 2),
                    s(&n["length"]),
                    hex(&n["session_handle"], 8),
                    status,
                ]);
                r
            })
            .collect();
        assert_agrees(
            &label("enip.log"),
            agreement(&label("enip.log"), expected, mine),
            0.99,
        );

        // cip.log: one record per CIP message, and one per service inside a
        // Multiple Service Packet (with the outer sequence count): source,
        // destination, sequence, direction, service, general status on
        // responses, and class/instance/attribute on requests.
        let expected = zeek_rows(&logs.join("cip.log"))
            .into_iter()
            .map(|r| [&r[7..14], &r[15..16], &r[19..20], &r[21..23]].concat())
            .collect();
        let mut mine = Vec::new();
        for e in of(&ours.events, "enip").filter(|e| !e["enip"]["cip_service"].is_null()) {
            let n = &e["enip"];
            let cip = |svc: &Value,
                       resp: &Value,
                       status: &Value,
                       class: &Value,
                       inst: &Value,
                       attr: &Value| {
                let mut r = endpoints(e).to_vec();
                let response = resp == true;
                r.extend([
                    s(&n["sequence"]),
                    if response { "response" } else { "request" }.to_string(),
                    hex(svc, 2),
                    hex(status, 2),
                    hex(class, 2),
                    hex(inst, 2),
                    hex(attr, 2),
                ]);
                r
            };
            mine.push(cip(
                &n["cip_service"],
                &n["cip_is_response"],
                &n["cip_status"],
                &n["cip_class"],
                &n["cip_instance"],
                &n["cip_attribute"],
            ));
            for m in n
                .get("embedded")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                mine.push(cip(
                    &m["service"],
                    &m["is_response"],
                    &m["status"],
                    &m["class"],
                    &m["instance"],
                    &m["attribute"],
                ));
            }
        }
        assert_agrees(
            &label("cip.log"),
            agreement(&label("cip.log"), expected, mine),
            0.99,
        );

        // cip_io.log: class 0/1 I/O datagrams: connection id, sequence, data length.
        let io_log = logs.join("cip_io.log");
        if io_log.exists() {
            let expected = zeek_rows(&io_log)
                .into_iter()
                .map(|r| [&r[7..11], &r[11..14]].concat())
                .collect();
            let mine = of(&ours.events, "enip")
                .filter(|e| e["enip"]["command"].is_null())
                .map(|e| {
                    let n = &e["enip"];
                    let mut r = endpoints(e).to_vec();
                    r.extend([
                        hex(&n["connection_id"], 8),
                        s(&n["sequence"]),
                        s(&n["io_data_length"]),
                    ]);
                    r
                })
                .collect();
            assert_agrees(
                &label("cip_io.log"),
                agreement(&label("cip_io.log"), expected, mine),
                0.99,
            );
        }
    }
}

#[test]
fn s7comm_logs_agree() {
    let Some(data) = ot_data() else { return };
    let base = data.join("icsnpp-s7comm/tests");
    for (capture, baseline) in [
        ("snap7.pcap", "analyzer.snap7"),
        ("s7ident.pcap", "analyzer.s7ident"),
        ("s7comm_plus.pcap", "analyzer.s7comm_plus"),
    ] {
        let ours = decode(&base.join("traces").join(capture));
        let logs = base.join("baseline").join(baseline);
        let label = |log: &str| format!("icsnpp-s7comm {capture} {log}");

        // s7comm.log: source, destination, ROSCTR, PDU reference, function
        // code (for user data ICSNPP logs the type/group byte, which Kensa
        // reports as `userdata_type` and `function_group`), and for user
        // data the sub-function. Not compared: the
        // sub-function column of job PDUs, where ICSNPP puts the PI service
        // name (e.g. P_PROGRAM) that Kensa does not decode. Known
        // difference: ICSNPP reads the PDU reference little-endian, Kensa
        // (like Wireshark) in network byte order as the rest of the
        // header; the comparison swaps ICSNPP's bytes back.
        let expected = zeek_rows(&logs.join("s7comm.log"))
            .into_iter()
            .map(|r| {
                let mut rec = [&r[7..12], &r[13..15]].concat();
                if r[11] == "7" {
                    rec.push(r[16].clone());
                }
                rec
            })
            .collect();
        // ICSNPP logs no Ack (ROSCTR 2) PDUs; Kensa reports them.
        let mut mine: Vec<Vec<String>> = of(&ours.events, "s7comm")
            .filter(|e| e["s7comm"]["rosctr"] != 2)
            .map(|e| {
                let m = &e["s7comm"];
                let mut r = endpoints(e).to_vec();
                let pdu_ref = m["pdu_reference"].as_u64().unwrap() as u16;
                let function = if m["rosctr"] == 7 {
                    assert!(
                        m["function_code"].is_null(),
                        "user data has no function code"
                    );
                    let type_group = m["userdata_type"].as_u64().unwrap() << 4
                        | m["function_group"].as_u64().unwrap();
                    hex(&type_group.into(), 2)
                } else {
                    hex(&m["function_code"], 2)
                };
                r.extend([s(&m["rosctr"]), pdu_ref.swap_bytes().to_string(), function]);
                if m["rosctr"] == 7 {
                    r.push(hex(&m["subfunction"], 2));
                }
                r
            })
            .collect();
        // Known difference in snap7.pcap: frames 5-8 hold a Read SZL request
        // and response for PDU reference 2 and again for 3; ICSNPP logs
        // only the request of 2 and the response of 3. Each listed record
        // must be present in Kensa's output, so the list cannot hide a
        // regression.
        if capture == "snap7.pcap" {
            let (client, server) = (["134.217.61.131", "51212"], ["134.217.61.211", "102"]);
            let known = [
                [&client[..], &server[..], &["7", "3", "0x44", "0x01"]].concat(),
                [&server[..], &client[..], &["7", "2", "0x84", "0x01"]].concat(),
            ];
            for k in known {
                let k: Vec<String> = k.iter().map(|x| x.to_string()).collect();
                let at = mine.iter().position(|r| *r == k);
                mine.remove(
                    at.unwrap_or_else(|| panic!("known difference {k:?} no longer occurs")),
                );
            }
        }
        assert_agrees(
            &label("s7comm.log"),
            agreement(&label("s7comm.log"), expected, mine),
            0.99,
        );

        // s7comm_plus.log: source, destination, version, opcode, function.
        let plus_log = logs.join("s7comm_plus.log");
        if plus_log.exists() {
            let expected = zeek_rows(&plus_log)
                .into_iter()
                .map(|r| [&r[7..13], &r[14..15]].concat())
                .collect();
            let mine = of(&ours.events, "s7comm-plus")
                .map(|e| {
                    let m = &e["s7comm-plus"];
                    let mut r = endpoints(e).to_vec();
                    r.extend([
                        s(&m["version"]),
                        hex(&m["opcode"], 2),
                        hex(&m["function_code"], 4),
                    ]);
                    r
                })
                .collect();
            assert_agrees(
                &label("s7comm_plus.log"),
                agreement(&label("s7comm_plus.log"), expected, mine),
                0.99,
            );
        }
    }
}

/// gymgit's captures keep only the S7 packets of a session: the peer
/// acknowledges segments the capture lacks. Those holes are skipped when the
/// acknowledgement shows they will never come, so every captured PDU is
/// decoded (tshark shows 96 S7comm packets in this capture).
#[test]
fn filtered_captures_with_acknowledged_holes_decode_fully() {
    let Some(dir) = ot_data() else { return };
    let path = dir.join("gymgit-s7-pcaps/step7_s300_download.pcapng");
    if !path.exists() {
        eprintln!("SKIP: {} not found", path.display());
        return;
    }
    let d = decode(&path);
    assert_eq!(of(&d.events, "s7comm").count(), 96);
    assert!(d.stats.gap_bytes > 0, "the holes are counted");
}
