//! ARM's `$filter` on tags (`tagName eq 'n' [and tagValue eq 'v']`), as resource-group and resource
//! lists accept it.

use super::Failure;

/// `tagName eq 'n'` or `tagName eq 'n' and tagValue eq 'v'` (OData quoting: `''` is a quote).
pub fn parse_tag_filter(filter: &str) -> Result<(String, Option<String>), Failure> {
    let bad = || {
        Failure::new(
            400,
            "InvalidFilterInQueryString",
            format!("The $filter '{filter}' is not supported; use tagName eq 'name' [and tagValue eq 'value']."),
        )
    };
    let (name, rest) = clause(filter.trim(), "tagName").ok_or_else(bad)?;
    if rest.is_empty() {
        return Ok((name, None));
    }
    let rest = strip_prefix_ci(rest, "and").ok_or_else(bad)?.trim_start();
    let (value, rest) = clause(rest, "tagValue").ok_or_else(bad)?;
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok((name, Some(value)))
}

/// `field eq 'value'` at the start of `text`: the value and what follows.
fn clause<'a>(text: &'a str, field: &str) -> Option<(String, &'a str)> {
    let after = strip_prefix_ci(text, field)?.trim_start();
    let after = strip_prefix_ci(after, "eq")?.trim_start();
    let after = after.strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = after.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                value.push('\'');
                chars.next();
                continue;
            }
            return Some((value, after[i + 1..].trim_start()));
        }
        value.push(c);
    }
    None
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_filters() {
        assert_eq!(
            parse_tag_filter("tagName eq 'haymaker-run-id' and tagValue eq 'r1'").unwrap(),
            ("haymaker-run-id".into(), Some("r1".into()))
        );
        assert_eq!(
            parse_tag_filter("tagname eq 'a''b'").unwrap(),
            ("a'b".into(), None)
        );
        assert!(parse_tag_filter("location eq 'eastus'").is_err());
        assert!(parse_tag_filter("tagName eq 'a' or tagValue eq 'b'").is_err());
        assert!(parse_tag_filter("tagName eq 'a' and tagValue eq 'b' x").is_err());
    }
}
