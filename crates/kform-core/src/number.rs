//! kintone's number syntax, read exactly: no floating point, so limits with 30 digits compare
//! as kintone compares them and no value is rounded on the way.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// A number kintone accepts: `[+-]digits[.digits][(e|E)[+-]digits]`, half-width only.
///
/// Kept as sign, significant digits and a power of ten, so comparisons are exact whatever the
/// size of the exponent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Significant digits (`0`–`9` values), without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// The value is `digits × 10^exponent`.
    exponent: i64,
}

/// Exponents beyond this are clamped; any such number is far outside kintone's 30 digits.
const EXPONENT_LIMIT: i64 = 1_000_000_000;

impl Decimal {
    /// Parses kintone's number syntax. Surrounding spaces are not accepted here; callers trim
    /// as kintone does.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut index = 0;
        let negative = bytes.first() == Some(&b'-');
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            index += 1;
        }
        let integer = take_digits(&bytes[index..]);
        index += integer.len();
        let mut fraction: &[u8] = &[];
        if bytes.get(index) == Some(&b'.') {
            index += 1;
            fraction = take_digits(&bytes[index..]);
            index += fraction.len();
        }
        if integer.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(index), Some(b'e' | b'E')) {
            index += 1;
            let exponent_negative = bytes.get(index) == Some(&b'-');
            if matches!(bytes.get(index), Some(b'+' | b'-')) {
                index += 1;
            }
            let digits = take_digits(&bytes[index..]);
            if digits.is_empty() {
                return None;
            }
            index += digits.len();
            for digit in digits {
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(EXPONENT_LIMIT);
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        if index != bytes.len() {
            return None;
        }
        let mut digits: Vec<u8> =
            integer.iter().chain(fraction).map(|digit| digit - b'0').collect();
        let fraction_len = i64::try_from(fraction.len()).ok()?;
        exponent -= fraction_len;
        let leading = digits.iter().take_while(|digit| **digit == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
            exponent += 1;
        }
        if digits.is_empty() {
            return Some(Self { negative: false, digits, exponent: 0 });
        }
        Some(Self { negative, digits, exponent })
    }

    /// Whether the number is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// How many digits the number has before the decimal point (`0.5` has none).
    pub fn integer_digits(&self) -> u64 {
        let len = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        u64::try_from(len.saturating_add(self.exponent)).unwrap_or(0)
    }

    /// The position of the most significant digit, for comparing magnitudes.
    fn magnitude(&self) -> i64 {
        i64::try_from(self.digits.len()).unwrap_or(i64::MAX).saturating_add(self.exponent)
    }

    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.magnitude().cmp(&other.magnitude()).then_with(|| {
            // Same magnitude: compare digit by digit, a missing digit being zero.
            let len = self.digits.len().max(other.digits.len());
            (0..len)
                .map(|i| {
                    let a = self.digits.get(i).copied().unwrap_or(0);
                    let b = other.digits.get(i).copied().unwrap_or(0);
                    a.cmp(&b)
                })
                .find(|order| order.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

fn take_digits(bytes: &[u8]) -> &[u8] {
    let len = bytes.iter().take_while(|byte| byte.is_ascii_digit()).count();
    &bytes[..len]
}

/// kintone's app-wide number precision ("数値の精度"), which `fields.json` does not report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NumberPrecision {
    /// Total significant digits, 1–30.
    pub digits: u8,
    /// Digits after the decimal point, 0–10; kintone rounds beyond them.
    pub decimal_places: u8,
}

impl NumberPrecision {
    /// kintone's default: 16 digits of which 4 after the decimal point, so 12 before it.
    pub const KINTONE_DEFAULT: Self = Self { digits: 16, decimal_places: 4 };

    /// The most digits allowed before the decimal point.
    pub fn integer_digits(self) -> u8 {
        self.digits.saturating_sub(self.decimal_places)
    }
}

impl Default for NumberPrecision {
    fn default() -> Self {
        Self::KINTONE_DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap_or_else(|| panic!("{text:?} should parse"))
    }

    #[test]
    fn reads_kintone_syntax_only() {
        for text in
            ["", "-", "+", ".", "e5", "1e", "1e+", "１２", "1.2.3", "--1", "NaN", "inf", " 1"]
        {
            assert!(Decimal::parse(text).is_none(), "{text:?} is not a kintone number");
        }
        for text in ["-1.5", "+3", "1.", ".5", "1E3", "2e-2", "1e400", "0000", "-0"] {
            assert!(Decimal::parse(text).is_some(), "{text:?} is a kintone number");
        }
    }

    #[test]
    fn compares_exactly() {
        assert!(d("1.5e1") == d("15"));
        assert!(d("-0") == d("0.000"));
        assert!(d("123456789012345678901234567891") > d("123456789012345678901234567890"));
        assert!(d("-2") < d("-1.99999"));
        assert!(d("0.1") > d("-100"));
        assert!(d("1e400") > d("9".repeat(30).as_str()));
        assert!(d("1e-400") > d("0"));
        assert!(d("1e-400") < d("1e-399"));
    }

    #[test]
    fn counts_integer_digits() {
        assert_eq!(d("123.45").integer_digits(), 3);
        assert_eq!(d("0.5").integer_digits(), 0);
        assert_eq!(d("1.2e3").integer_digits(), 4);
        assert_eq!(d("1000").integer_digits(), 4);
        assert_eq!(d("0").integer_digits(), 0);
    }
}
