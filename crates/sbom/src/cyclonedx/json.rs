//! CycloneDX JSON.

use kensa_model::sbom::{Component, Dependency, Sbom, SbomFormat};
use serde_json::{Map, Value};

use super::{
    BOM_FIELDS, COMPONENT_FIELDS, CONTACT_FIELDS, DEPENDENCY_FIELDS, ENTITY_FIELDS, KNOWN_JSON,
    METADATA_FIELDS, PROPERTY_FIELDS, Rules, serial_number_ok,
};
use crate::ctx::{Assembly, Ctx, Node};
use crate::error::SbomError;
use crate::json::{array, at, idx, kind, object, ptr, string, unknown_members};

/// Reads a BOM object whose `bomFormat` has been checked.
pub(crate) fn read(root: &Map<String, Value>, ctx: &mut Ctx<'_>) -> Result<Sbom, SbomError> {
    let spec_version = match root.get("specVersion") {
        None => {
            ctx.deviation(at("/specVersion"), "missing required field `specVersion`")?;
            String::new()
        }
        Some(_) => string(ctx, root, "specVersion", "")?.unwrap_or_default(),
    };
    let rules = Rules::for_version(&spec_version);
    if rules.minor.is_none_or(|m| m < 2) {
        ctx.unknown_version(at("/specVersion"), "CycloneDX", &spec_version, KNOWN_JSON)?;
    }
    if rules.closed_json_objects() {
        unknown_members(ctx, root, BOM_FIELDS, "", "BOM")?;
    }
    let serial_number = string(ctx, root, "serialNumber", "")?;
    if let Some(s) = &serial_number
        && !serial_number_ok(s)
    {
        ctx.deviation(
            at("/serialNumber"),
            format!("serial number `{s}` is not `urn:uuid:` and a lower-case RFC 4122 UUID"),
        )?;
    }

    let mut asm = Assembly::default();
    if let Some(meta) = object(ctx, root, "metadata", "")? {
        if rules.closed_json_objects() {
            unknown_members(ctx, meta, METADATA_FIELDS, "/metadata", "metadata")?;
        }
        if let Some(c) = meta.get("component") {
            walk(
                ctx,
                rules,
                &mut asm,
                c,
                "/metadata/component".into(),
                None,
                true,
            )?;
        }
        let supplier = entity_name(ctx, rules, meta, "supplier", "/metadata")?;
        let manufacturer = match entity_name(ctx, rules, meta, "manufacturer", "/metadata")? {
            Some(m) => Some(m),
            None => entity_name(ctx, rules, meta, "manufacture", "/metadata")?,
        };
        asm.inherit_parties(supplier, manufacturer);
    }
    for (i, c) in array(ctx, root, "components", "")?.iter().enumerate() {
        walk(ctx, rules, &mut asm, c, idx("/components", i), None, false)?;
    }
    let dependencies = dependencies(ctx, rules, root)?;
    let (subject, components) = asm.finish(ctx)?;
    Ok(Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version,
        serial_number,
        subject,
        components,
        dependencies,
        warnings: Vec::new(),
    })
}

/// Reads a component and everything nested in it, in document order,
/// without recursion.
fn walk(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    asm: &mut Assembly,
    value: &Value,
    pointer: String,
    parent: Option<usize>,
    subject: bool,
) -> Result<(), SbomError> {
    let mut stack = vec![(value, pointer, parent, subject)];
    while let Some((value, pointer, parent, subject)) = stack.pop() {
        let Value::Object(obj) = value else {
            ctx.deviation(
                at(&pointer),
                format!(
                    "{} where a component object is expected; ignored",
                    kind(value)
                ),
            )?;
            continue;
        };
        // The subject (metadata.component) is not one of the components.
        if !subject {
            ctx.count_component(|| at(&pointer))?;
        }
        let component = component(ctx, rules, obj, &pointer)?;
        let i = asm.push(Node {
            component,
            parent,
            at: at(&pointer),
        });
        if subject {
            asm.subject = Some(i);
        }
        let children = array(ctx, obj, "components", &pointer)?;
        let base = ptr(&pointer, "components");
        for (k, child) in children.iter().enumerate().rev() {
            stack.push((child, idx(&base, k), Some(i), false));
        }
    }
    Ok(())
}

/// The fields of one component (not its nested ones).
fn component(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    obj: &Map<String, Value>,
    base: &str,
) -> Result<Component, SbomError> {
    if rules.closed_json_objects() {
        unknown_members(ctx, obj, COMPONENT_FIELDS, base, "component")?;
    }
    let kind = if obj.contains_key("type") {
        string(ctx, obj, "type", base)?
    } else {
        ctx.deviation(at(&ptr(base, "type")), "missing required field `type`")?;
        None
    };
    if let Some(t) = &kind
        && !rules.type_known(t)
    {
        ctx.deviation(
            at(&ptr(base, "type")),
            format!("unknown component type `{t}`"),
        )?;
    }
    let name = if obj.contains_key("name") {
        string(ctx, obj, "name", base)?.unwrap_or_default()
    } else {
        ctx.deviation(at(&ptr(base, "name")), "missing required field `name`")?;
        String::new()
    };
    let version = string(ctx, obj, "version", base)?;
    if !obj.contains_key("version") && rules.version_required() {
        ctx.deviation(
            at(&ptr(base, "version")),
            "missing field `version` (required up to CycloneDX 1.3)",
        )?;
    }
    let mut bom_ref = string(ctx, obj, "bom-ref", base)?.unwrap_or_default();
    if bom_ref.is_empty() && obj.contains_key("bom-ref") && rules.refs_nonempty() {
        ctx.deviation(at(&ptr(base, "bom-ref")), "empty `bom-ref`")?;
        bom_ref.clear();
    }
    let mut cpes = Vec::new();
    if let Some(c) = string(ctx, obj, "cpe", base)? {
        cpes.push(crate::cpe::normalise(ctx, c, at(&ptr(base, "cpe"))));
    }
    let author = match string(ctx, obj, "author", base)? {
        Some(a) => Some(a),
        None => authors(ctx, rules, obj, base)?,
    };
    Ok(Component {
        bom_ref,
        name,
        version,
        group: string(ctx, obj, "group", base)?,
        kind,
        purl: string(ctx, obj, "purl", base)?,
        cpes,
        supplier: entity_name(ctx, rules, obj, "supplier", base)?,
        manufacturer: entity_name(ctx, rules, obj, "manufacturer", base)?,
        author,
        parent: None,
        properties: properties(ctx, rules, obj, base)?,
    })
}

/// The `name` of an organizational entity (`supplier`, `manufacturer`).
fn entity_name(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    obj: &Map<String, Value>,
    key: &str,
    base: &str,
) -> Result<Option<String>, SbomError> {
    let p = ptr(base, key);
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Object(e)) => {
            if rules.closed_json_objects() {
                unknown_members(ctx, e, ENTITY_FIELDS, &p, "organization")?;
            }
            string(ctx, e, "name", &p)
        }
        Some(Value::String(s)) => {
            ctx.deviation(
                at(&p),
                "a string where an organization object is expected; read as its name",
            )?;
            Ok(Some(s.clone()))
        }
        Some(v) => {
            ctx.deviation(
                at(&p),
                format!(
                    "{} where an organization object is expected; ignored",
                    kind(v)
                ),
            )?;
            Ok(None)
        }
    }
}

/// Names of the component's `authors` (1.6), joined by ", ".
fn authors(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    obj: &Map<String, Value>,
    base: &str,
) -> Result<Option<String>, SbomError> {
    let list = array(ctx, obj, "authors", base)?;
    let base = ptr(base, "authors");
    let mut names = Vec::new();
    for (i, a) in list.iter().enumerate() {
        let p = idx(&base, i);
        let Value::Object(a) = a else {
            ctx.deviation(
                at(&p),
                format!("{} where a contact object is expected", kind(a)),
            )?;
            continue;
        };
        if rules.closed_json_objects() {
            unknown_members(ctx, a, CONTACT_FIELDS, &p, "contact")?;
        }
        if let Some(n) = string(ctx, a, "name", &p)? {
            names.push(n);
        }
    }
    Ok((!names.is_empty()).then(|| names.join(", ")))
}

fn properties(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    obj: &Map<String, Value>,
    base: &str,
) -> Result<Vec<(String, String)>, SbomError> {
    let list = array(ctx, obj, "properties", base)?;
    let base = ptr(base, "properties");
    let mut out = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        let pp = idx(&base, i);
        let Value::Object(p) = p else {
            ctx.deviation(
                at(&pp),
                format!("{} where a property object is expected", kind(p)),
            )?;
            continue;
        };
        if rules.property_name_required_json() {
            unknown_members(ctx, p, PROPERTY_FIELDS, &pp, "property")?;
        }
        let Some(name) = string(ctx, p, "name", &pp)? else {
            if rules.property_name_required_json() {
                ctx.deviation(at(&ptr(&pp, "name")), "missing required field `name`")?;
            } else {
                ctx.note(at(&pp), "property without a name; ignored");
            }
            continue;
        };
        let value = string(ctx, p, "value", &pp)?.unwrap_or_default();
        out.push((name, value));
    }
    Ok(out)
}

fn dependencies(
    ctx: &mut Ctx<'_>,
    rules: Rules,
    root: &Map<String, Value>,
) -> Result<Vec<Dependency>, SbomError> {
    let mut out = Vec::new();
    for (i, d) in array(ctx, root, "dependencies", "")?.iter().enumerate() {
        let p = idx("/dependencies", i);
        let Value::Object(d) = d else {
            ctx.deviation(
                at(&p),
                format!("{} where a dependency object is expected; ignored", kind(d)),
            )?;
            continue;
        };
        if rules.closed_json_objects() {
            unknown_members(ctx, d, DEPENDENCY_FIELDS, &p, "dependency")?;
        }
        if !d.contains_key("ref") {
            ctx.deviation(
                at(&ptr(&p, "ref")),
                "missing required field `ref`; dependency ignored",
            )?;
            continue;
        }
        let r = string(ctx, d, "ref", &p)?.unwrap_or_default();
        if r.is_empty() {
            if rules.refs_nonempty() {
                ctx.deviation(at(&ptr(&p, "ref")), "empty `ref`; dependency ignored")?;
            } else {
                ctx.note(at(&ptr(&p, "ref")), "empty `ref`; dependency ignored");
            }
            continue;
        }
        let on = array(ctx, d, "dependsOn", &p)?;
        let base = ptr(&p, "dependsOn");
        let mut depends_on = Vec::with_capacity(on.len());
        for (k, x) in on.iter().enumerate() {
            match x {
                Value::String(s) if !s.is_empty() => depends_on.push(s.clone()),
                Value::String(_) => {
                    if rules.refs_nonempty() {
                        ctx.deviation(at(&idx(&base, k)), "empty reference; ignored")?;
                    } else {
                        ctx.note(at(&idx(&base, k)), "empty reference; ignored");
                    }
                }
                other => ctx.deviation(
                    at(&idx(&base, k)),
                    format!(
                        "{} where a reference string is expected; ignored",
                        kind(other)
                    ),
                )?,
            }
        }
        out.push(Dependency {
            r#ref: r,
            depends_on,
        });
    }
    Ok(out)
}
