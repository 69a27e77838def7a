//! The inventory as a CycloneDX 1.6 hardware/firmware BOM, for `kensa scan`.

use serde_json::{Value, json};

use super::{Device, Inventory};
use crate::identity::Identity;

/// A CPE 2.3 name for the firmware, where the identity pins it down:
/// Siemens SIMATIC S7 CPUs by order-number family.
pub fn firmware_cpe(id: &Identity) -> Option<String> {
    let version = id.revision.as_deref()?;
    let order = id.order_number.as_deref()?.replace(' ', "");
    let family = if order.starts_with("6ES721") {
        "simatic_s7-1200_cpu"
    } else if order.starts_with("6ES731") {
        "simatic_s7-300_cpu"
    } else if order.starts_with("6ES741") {
        "simatic_s7-400_cpu"
    } else if order.starts_with("6ES751") {
        "simatic_s7-1500_cpu"
    } else {
        return None;
    };
    Some(format!(
        "cpe:2.3:o:siemens:{family}_firmware:{version}:*:*:*:*:*:*:*"
    ))
}

fn cdx_properties(d: &Device) -> Vec<Value> {
    let mut props = vec![json!({"name": "kensa:ot:ip", "value": d.ip})];
    for m in &d.macs {
        props.push(json!({"name": "kensa:ot:mac", "value": m}));
    }
    if let Some(v) = d.mac_vendor {
        props.push(json!({"name": "kensa:ot:mac-vendor", "value": v}));
    }
    for r in &d.roles {
        props.push(json!({"name": "kensa:ot:role", "value": r}));
    }
    for p in d.serves.iter().chain(&d.uses) {
        props.push(json!({"name": "kensa:ot:protocol", "value": p}));
    }
    for s in d.services.iter().filter(|s| s.role == "server") {
        props.push(json!({"name": "kensa:ot:service",
                          "value": format!("{} {}/{}", s.service, s.transport, s.port)}));
    }
    props
}

impl Inventory {
    /// A CycloneDX 1.6 BOM: one `device` component per host, with a nested
    /// `firmware` component where a protocol revealed a revision.
    pub fn to_cyclonedx(&self) -> Value {
        let components: Vec<Value> = self
            .devices
            .iter()
            .map(|d| {
                let id = d.identity.first();
                let maker = id
                    .and_then(|i| i.vendor.clone())
                    .or(d.mac_vendor.map(str::to_string));
                let product = id
                    .and_then(|i| {
                        i.product_name
                            .clone()
                            .or(i.model.clone())
                            .or(i.order_number.clone())
                            .or(i.product_code.clone())
                    })
                    .unwrap_or_else(|| format!("host {}", d.ip));
                let mut c = json!({
                    "type": "device",
                    "bom-ref": format!("device:{}", d.ip),
                    "name": product,
                    "properties": cdx_properties(d),
                });
                if let Some(m) = &maker {
                    c["manufacturer"] = json!({"name": m});
                    c["supplier"] = json!({"name": m});
                }
                let firmware: Vec<Value> = d
                    .identity
                    .iter()
                    .filter(|i| i.revision.is_some())
                    .map(|i| {
                        let mut f = json!({
                            "type": "firmware",
                            "bom-ref": format!("firmware:{}:{}", d.ip, i.source),
                            "name": format!("{product} firmware"),
                            "version": i.revision,
                        });
                        if let Some(cpe) = firmware_cpe(i) {
                            f["cpe"] = json!(cpe);
                        }
                        if let Some(v) = &i.vendor {
                            f["supplier"] = json!({"name": v});
                        }
                        f
                    })
                    .collect();
                if !firmware.is_empty() {
                    c["components"] = json!(firmware);
                }
                c
            })
            .collect();
        json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {
                "tools": {"components": [{"type": "application", "name": "kensa ot inventory"}]},
                "properties": self.captures.iter()
                    .map(|c| json!({"name": "kensa:ot:capture", "value": c}))
                    .collect::<Vec<_>>(),
            },
            "components": components,
        })
    }
}
