//! Devices named as their maker's catalogue names them: `SIMATIC S7-1200
//! CPU 1214C` (or its order number, `6ES7214-1AG40-0XB0`, through the CSAF
//! product trees that list it) belongs to the CPE product family
//! `siemens:simatic_s7-1200_cpu_firmware`. The family's words are the
//! first words of the device's name, numbers included, so an `S7-1200` is
//! never an `S7-1500`; only products of the vendor the supplier or
//! manufacturer names are considered, and only the most specific family.

use crate::resolve::{Entry, normalize};

/// The words of a name: `SIMATIC S7-1200 CPU` → `simatic s7 1200 cpu`.
fn words(name: &str) -> Vec<String> {
    normalize(name)
        .split('_')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A product's family words: without the trailing `firmware`; `None` when
/// they cannot tell a model (fewer than two words, or no number).
fn family_words(product: &str) -> Option<Vec<String>> {
    let mut w = words(product);
    if w.last().is_some_and(|l| l == "firmware") {
        w.pop();
    }
    let has_number = w.iter().any(|x| x.bytes().any(|b| b.is_ascii_digit()));
    (w.len() >= 2 && has_number).then_some(w)
}

/// How many words of `device` the family covers (its length), when the
/// family's words begin the device's; the vendor's brand word in front of
/// the family (`simatic`) may be missing from the device's name.
fn covers(family: &[String], device: &[String]) -> Option<usize> {
    if device.len() >= family.len() && device[..family.len()] == *family {
        return Some(family.len());
    }
    let brandless = &family[1..];
    let brand_is_word = !family[0].bytes().any(|b| b.is_ascii_digit());
    let has_number = brandless
        .iter()
        .any(|x| x.bytes().any(|b| b.is_ascii_digit()));
    (brand_is_word
        && brandless.len() >= 2
        && has_number
        && device.len() >= brandless.len()
        && device[..brandless.len()] == *brandless)
        .then_some(brandless.len())
}

/// The most specific families among `products` whose words begin one of
/// `names`, with the name each covers.
pub fn families(products: &[Entry], names: &[String]) -> Vec<(Entry, String)> {
    let mut best = 0;
    let mut found: Vec<(Entry, String)> = Vec::new();
    for name in names {
        let device = words(name);
        for e in products {
            let Some(family) = family_words(&e.product) else {
                continue;
            };
            let Some(n) = covers(&family, &device) else {
                continue;
            };
            if n > best {
                best = n;
                found.clear();
            }
            if n == best
                && !found
                    .iter()
                    .any(|(f, _)| f.vendor == e.vendor && f.product == e.product)
            {
                found.push((e.clone(), name.clone()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(product: &str) -> Entry {
        Entry {
            vendor: "siemens".into(),
            product: product.into(),
            records: 1,
        }
    }

    #[test]
    fn the_most_specific_family_that_begins_the_name() {
        let products = [
            e("simatic_s7-1200_firmware"),
            e("simatic_s7-1200_cpu_firmware"),
            e("simatic_s7-1500_cpu_firmware"),
            e("simatic_firmware"),
            e("scalance_x-200_firmware"),
        ];
        let found = families(&products, &["SIMATIC S7-1200 CPU 1214C DC/DC/DC".into()]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.product, "simatic_s7-1200_cpu_firmware");
        // The catalogue may leave the brand out.
        let found = families(&products, &["S7-1200 CPU 1212C".into()]);
        assert_eq!(found[0].0.product, "simatic_s7-1200_cpu_firmware");
        // Another model is never the family.
        assert!(families(&products, &["SIMATIC S7-300 CPU 315".into()]).is_empty());
        assert!(families(&products, &["SIMATIC HMI Panel".into()]).is_empty());
    }
}
