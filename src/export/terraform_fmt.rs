//! The one rule of `terraform fmt` that hcl-rs's formatter leaves out: the `=` of consecutive
//! one-line attributes lines up. Written here because no crate does it: hcl-rs formats without
//! alignment, and hcl-edit keeps the spacing it parsed.
//!
//! The rule, as hclwrite's `format.go` applies it: a line takes part when it has an `=` after its
//! first token (outside string literals, and not part of `==`, `!=`, `<=`, `>=` or `=>`) and the
//! rest of the line closes every bracket it opens. Consecutive such lines form a chain, broken by
//! any other line (a blank line, a block header, `}`, the first line of a multi-line value); in a
//! chain, each `=` moves to one column past the longest name.

/// `text` (hcl-rs's output: one token per position, single spaces around `=`) with the `=` of
/// every chain of one-line attributes aligned as `terraform fmt` aligns them.
pub(crate) fn align_attributes(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let assigns: Vec<Option<usize>> = lines.iter().map(|line| assign_at(line)).collect();
    let mut out: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    let mut start = 0;
    while start < lines.len() {
        if assigns[start].is_none() {
            start += 1;
            continue;
        }
        let end = (start..lines.len())
            .find(|&i| assigns[i].is_none())
            .unwrap_or(lines.len());
        let name = |i: usize| lines[i][..assigns[i].expect("in a chain")].trim_end();
        // hclwrite measures in bytes; every name onboard writes is ASCII anyway.
        let width = (start..end).map(|i| name(i).len()).max().unwrap_or(0);
        for i in start..end {
            let at = assigns[i].expect("in a chain");
            let rest = lines[i][at + 1..].trim_start();
            out[i] = format!("{:width$} = {rest}", name(i));
        }
        start = end;
    }
    out.join("\n")
}

/// Where a line is while it is scanned: code, a string literal, or a `${...}` / `%{...}`
/// template sequence inside one (with the braces opened in it).
enum Context {
    Code,
    Text,
    Template(usize),
}

/// Where the line's assigning `=` is, when it takes part in alignment.
fn assign_at(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    if bytes[first..].starts_with(b"#") || bytes[first..].starts_with(b"//") {
        return None;
    }
    let mut stack = vec![Context::Code];
    let mut equals = None;
    let mut depth = 0i32;
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        match stack.last_mut().expect("the code context stays") {
            Context::Text => {
                if b == b'\\' {
                    i += 1;
                } else if rest.starts_with(b"$${") || rest.starts_with(b"%%{") {
                    i += 2;
                } else if rest.starts_with(b"${") || rest.starts_with(b"%{") {
                    stack.push(Context::Template(0));
                    i += 1;
                } else if b == b'"' {
                    stack.pop();
                }
            }
            Context::Template(open) => match b {
                b'"' => stack.push(Context::Text),
                b'{' => *open += 1,
                b'}' if *open == 0 => {
                    stack.pop();
                }
                b'}' => *open -= 1,
                _ => {}
            },
            Context::Code => match b {
                b'"' => stack.push(Context::Text),
                b'{' | b'[' | b'(' => depth += 1,
                b'}' | b']' | b')' => depth -= 1,
                b'=' if equals.is_none() && i > first => {
                    let before = bytes[i - 1];
                    let after = bytes.get(i + 1).copied();
                    let operator = matches!(before, b'=' | b'!' | b'<' | b'>')
                        || matches!(after, Some(b'=' | b'>'));
                    if !operator {
                        equals = Some((i, depth));
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    let (at, depth_before) = equals?;
    // The part after `=` must close what it opens: `depth` counted the whole line.
    (depth == depth_before).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_attributes_align_and_chains_break() {
        let text = "resource \"a\" \"b\" {\n  name = \"x\"\n  description = \"y\"\n  tags = {\n    \"managed-by\" = \"onboard\"\n    \"onboard:vendor\" = \"v\"\n  }\n\n  path = \"/\"\n}\n";
        let expected = "resource \"a\" \"b\" {\n  name        = \"x\"\n  description = \"y\"\n  tags = {\n    \"managed-by\"     = \"onboard\"\n    \"onboard:vendor\" = \"v\"\n  }\n\n  path = \"/\"\n}\n";
        assert_eq!(align_attributes(text), expected);
    }

    #[test]
    fn equals_in_strings_and_operators_do_not_count() {
        // The `=` inside the string and the `==` and `>=` are not assignments.
        assert_eq!(assign_at("  \"a=b\" = 1"), Some(8));
        assert_eq!(assign_at("  x == y"), None);
        assert_eq!(assign_at("  condition = length(v) >= 2"), Some(12));
        assert_eq!(assign_at("  a = b => c"), Some(4));
        assert_eq!(assign_at("  s = \"\\\" = \""), Some(4));
        // A string inside a template sequence inside a string.
        assert_eq!(assign_at("  \"${join(\"=\", x)}\" = 1"), Some(20));
        assert_eq!(assign_at("  s = \"$${a\" = 1"), Some(4));
        // A value that opens a bracket and leaves it open spans lines: not aligned.
        assert_eq!(assign_at("  policy = jsonencode({"), None);
        assert_eq!(assign_at("  = x"), None);
        assert_eq!(assign_at("# a = b"), None);
    }
}
