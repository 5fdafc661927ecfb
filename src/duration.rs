//! Durations as people write them on the command line and in config (`10s`, `500ms`, `2m`,
//! `1h`), range-checked: a value past a day is a typo, not a timeout, and must not overflow.

use std::time::Duration;

/// The longest duration any flag takes.
pub const MAX: Duration = Duration::from_secs(24 * 3600);

pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map(|i| s.split_at(i)).unwrap_or((s, "s"));
    let n: f64 = num.parse().map_err(|_| format!("`{s}`: expected a duration such as 10s, 500ms or 2m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if !secs.is_finite() || secs < 0.0 || secs > MAX.as_secs_f64() {
        return Err(format!("`{s}`: out of range (0 to 24h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_range_checks() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("3"), Ok(Duration::from_secs(3)));
        for bad in ["99999999999999999999999h", "1e400", "-1s", "1d", "s", "", "NaNs", "infs", "25h"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
