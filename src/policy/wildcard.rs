//! IAM's wildcards, in one place: `*` stands for any run of characters (none included) and `?`
//! for exactly one; no other character is special (IAM has no escapes and no `[...]`). That is
//! what the `wildmatch` crate matches, so it does the matching; globset and the like would read
//! `[`, `{` and `\` as syntax, which IAM does not.
//!
//! Case: IAM compares action names (`s3:getobject` is `s3:GetObject`) without regard to case,
//! and ARNs, principals and `StringLike` condition values with it.

use wildmatch::WildMatch;

/// A pattern from a policy document, with IAM's rule for the case of what it matches.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard(WildMatch);

impl Wildcard {
    /// An action or service prefix pattern (`s3:Get*`, `ec2:*`): matched ignoring case.
    pub(crate) fn action(pattern: &str) -> Self {
        Wildcard(WildMatch::new_case_insensitive(pattern))
    }

    /// An ARN, principal or `StringLike` value pattern: matched with case.
    pub(crate) fn exact_case(pattern: &str) -> Self {
        Wildcard(WildMatch::new(pattern))
    }

    /// Whether all of `text` matches the pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.0.matches(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_match_any_run_and_question_marks_one_character() {
        for (pattern, text, matches) in [
            ("*", "", true),
            ("*", "anything at all", true),
            ("", "", true),
            ("", "a", false),
            ("a*c", "ac", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "abbc", false),
            ("??", "é!", true),
            ("*b*", "aaabaaa", true),
            ("a**", "a", true),
            ("*a*a*a", "aaaa", true),
            ("*a*a*a", "aab", false),
            ("abc", "abcd", false),
            ("abc", "ab", false),
            ("get*tag*", "getobjecttagging", true),
            // Only `*` and `?` are special: brackets, braces and backslashes are themselves.
            ("a[bc]", "a[bc]", true),
            ("a[bc]", "ab", false),
            ("{a,b}", "a", false),
            ("a\\*", "a\\xyz", true),
        ] {
            assert_eq!(
                Wildcard::exact_case(pattern).matches(text),
                matches,
                "{pattern:?} {text:?}"
            );
        }
    }

    #[test]
    fn actions_ignore_case_and_arns_do_not() {
        assert!(Wildcard::action("S3:Get*").matches("s3:getobject"));
        assert!(Wildcard::action("sts:assumerole").matches("sts:AssumeRole"));
        assert!(Wildcard::action("iam:?assRole").matches("IAM:PASSROLE"));
        assert!(!Wildcard::action("s3:Put*").matches("s3:GetObject"));
        let arn = "arn:aws:iam::111122223333:role/Vendor*";
        assert!(Wildcard::exact_case(arn).matches("arn:aws:iam::111122223333:role/VendorRole"));
        assert!(!Wildcard::exact_case(arn).matches("arn:aws:iam::111122223333:role/vendorrole"));
        assert!(!Wildcard::exact_case("ABC").matches("abc"));
    }
}
