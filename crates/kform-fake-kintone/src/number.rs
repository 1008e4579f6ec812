//! kintone's NUMBER values, compared exactly: a sign, digits with one optional decimal point and an
//! optional exponent, half-width only (`docs/kintone.md` §3.1). No floating point, so limits such
//! as `99999999999.9999` compare as kintone's own decimal arithmetic does.

use std::cmp::Ordering;

/// A number as a sign and decimal digits with the position of the decimal point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Number {
    negative: bool,
    /// Digits without leading or trailing zeros (empty for zero).
    digits: Vec<u8>,
    /// The power of ten of the first digit plus one: `digits` = 0.d1d2… × 10^`point`.
    point: i64,
}

/// Exponents beyond this are refused as not numbers at all (kintone's own bound is unknown).
const MAX_EXPONENT: i64 = 1_000;

impl Number {
    /// Parses kintone's number syntax; `None` when it is not a number.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
            None => (unsigned, None),
        };
        let exponent: i64 = match exponent {
            None => 0,
            Some(exponent) => {
                let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let value: i64 = digits.parse().ok().filter(|v| *v <= MAX_EXPONENT)?;
                if exponent.starts_with('-') { -value } else { value }
            }
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let mut digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).map(|b| b - b'0').collect();
        let mut point = i64::try_from(whole.len()).ok()? + exponent;
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        point -= i64::try_from(leading).ok()?;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Self { negative: false, digits, point: 0 });
        }
        Some(Self { negative, digits, point })
    }

    /// How many digits stand before the decimal point.
    pub(crate) fn integer_digits(&self) -> usize {
        usize::try_from(self.point).unwrap_or(0)
    }

    fn magnitude_cmp(&self, other: &Self) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.point.cmp(&other.point).then_with(|| self.digits.cmp(&other.digits))
    }

    /// kintone's plain decimal form: `1.5e1` → `15`, `+3` → `3`, `-0` → `0`.
    pub(crate) fn plain(&self) -> String {
        if self.digits.is_empty() {
            return "0".to_owned();
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let mut text = String::new();
        if self.negative {
            text.push('-');
        }
        if self.point <= 0 {
            text.push_str("0.");
            text.extend(std::iter::repeat_n('0', usize::try_from(-self.point).unwrap_or(0)));
            text.extend(self.digits.iter().map(digit));
        } else {
            let point = usize::try_from(self.point).unwrap_or(0);
            for index in 0..point.max(self.digits.len()) {
                if index == point {
                    text.push('.');
                }
                text.push(self.digits.get(index).map_or('0', digit));
            }
        }
        text
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::Number;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap()
    }

    #[test]
    fn parses_kintone_syntax_only() {
        for good in ["0", "-1", "+3", "1.5", ".5", "5.", "1e3", "1.5E-2", "007"] {
            assert!(Number::parse(good).is_some(), "{good}");
        }
        for bad in ["", "-", ".", "1,000", "１", "1e", "e3", "1.2.3", " 1", "0x10", "1e99999"] {
            assert!(Number::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn compares_exactly_and_prints_plainly() {
        assert!(n("99999999999.99995") > n("99999999999.9999"));
        assert!(n("-2") < n("-1.5"));
        assert_eq!(n("1.50"), n("1.5"));
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("1.5e1").plain(), "15");
        assert_eq!(n("+3").plain(), "3");
        assert_eq!(n("1.25e-2").plain(), "0.0125");
        assert_eq!(n("12e2").plain(), "1200");
        assert_eq!(n("123456789012.5").integer_digits(), 12);
        assert_eq!(n("0.5").integer_digits(), 0);
    }
}
