//! Every reason string a pattern can be refused with, each provoked once, exactly as AWS words it.

use evmatch::Pattern;

fn reason(pattern: &str) -> String {
    match Pattern::parse(pattern) {
        Ok(_) => panic!("accepted: {pattern}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn each_reason_string() {
    let cases: &[(&str, &str)] = &[
        (r#"["a"]"#, "Filter is not an object"),
        (r#""a""#, "Filter is not an object"),
        (r#"{"k": "v"}"#, r#""k" must be an object or an array"#),
        (r#"{"k": 5}"#, r#""k" must be an object or an array"#),
        (r#"{}"#, "Empty objects are not allowed"),
        (r#"{"a": {}}"#, "Empty objects are not allowed"),
        (r#"{"k": []}"#, "Empty arrays are not allowed"),
        (r#"{"k": [[1]]}"#, "Match value must be String, number, true, false, or null"),
        (r#"{"k": [{}]}"#, "Match expression name not found"),
        (r#"{"k": [{"prefix": "a", "suffix": "b"}]}"#, "Only one key allowed in match expression"),
        (r#"{"k": [{"EXISTS": true}]}"#, "Unrecognized match type EXISTS"),
        (r#"{"k": [{"exactly": 5}]}"#, "exact match pattern must be a string"),
        (r#"{"k": [{"prefix": 5}]}"#, "prefix match pattern must be a string"),
        (r#"{"k": [{"suffix": null}]}"#, "suffix match pattern must be a string"),
        (r#"{"k": [{"equals-ignore-case": ["a"]}]}"#, "equals-ignore-case match pattern must be a string"),
        (r#"{"k": [{"prefix": {"equals-ignore-case": 1}}]}"#, "equals-ignore-case match pattern must be a string"),
        (r#"{"k": [{"wildcard": 1}]}"#, "wildcard match pattern must be a string"),
        (r#"{"k": [{"cidr": 10}]}"#, "prefix match pattern must be a string"),
        (r#"{"k": [{"anything-but": {"prefix": 1}}]}"#, "prefix/suffix match pattern must be a string"),
        (r#"{"k": [{"prefix": {}}]}"#, "Prefix expression name not found"),
        (r#"{"k": [{"suffix": {}}]}"#, "Suffix expression name not found"),
        (r#"{"k": [{"prefix": {"wildcard": "a"}}]}"#, "Unsupported prefix pattern: wildcard"),
        (r#"{"k": [{"suffix": {"exists": true}}]}"#, "Unsupported suffix pattern: exists"),
        (r#"{"k": [{"numeric": 5}]}"#, "Value of numeric must be an array."),
        (r#"{"k": [{"numeric": [5]}]}"#, "Invalid member in numeric match: 5"),
        (r#"{"k": [{"numeric": []}]}"#, "Invalid member in numeric match: ]"),
        (r#"{"k": [{"numeric": ["=", "5"]}]}"#, "Value of equals must be numeric"),
        (r#"{"k": [{"numeric": ["<", "5"]}]}"#, "Value of < must be numeric"),
        (r#"{"k": [{"numeric": [">="]}]}"#, "Value of >= must be numeric"),
        (r#"{"k": [{"numeric": ["!=", 5]}]}"#, "Unrecognized numeric range operator: !="),
        (r#"{"k": [{"numeric": [">", 0, 5]}]}"#, "Bad value in numeric range: 5"),
        (r#"{"k": [{"numeric": [">", 0, ">", 5]}]}"#, "Bad numeric range operator: >"),
        (r#"{"k": [{"numeric": [">", 0, "<", "x"]}]}"#, "Value of < must be numeric"),
        (r#"{"k": [{"numeric": [">", 0, "<", 5, 6]}]}"#, "Too many terms in numeric range expression"),
        (r#"{"k": [{"numeric": ["=", 5, 6]}]}"#, "Too many elements in numeric expression"),
        (r#"{"k": [{"numeric": ["<", 5], "x": 1}]}"#, "Too many elements in numeric expression"),
        (r#"{"k": [{"numeric": [">", 5, "<", 5]}]}"#, "Bottom must be less than top"),
        (r#"{"k": [{"numeric": [">", 1e400]}]}"#, "Cannot compare number : 1e400"),
        (r#"{"k": [{"anything-but": {}}]}"#, "Anything-But expression name not found"),
        (r#"{"k": [{"anything-but": {"numeric": [">", 1]}}]}"#, "Unsupported anything-but pattern: numeric"),
        (r#"{"k": [{"anything-but": null}]}"#, "Value of anything-but must be an array or single string/number value."),
        (r#"{"k": [{"anything-but": {"prefix": {"equals-ignore-case": "a"}}}]}"#, "Value of anything-but must be an array or single string/number value."),
        (r#"{"k": [{"anything-but": [null]}]}"#, "Inside anything but list, start|null|boolean is not supported."),
        (r#"{"k": [{"anything-but": ["a", 1]}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        (r#"{"k": [{"anything-but": []}]}"#, "Inside anything but list, either all values are number or string, mixed type is not supported"),
        (r#"{"k": [{"anything-but": {"equals-ignore-case": 5}}]}"#, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
        (r#"{"k": [{"anything-but": {"suffix": ""}}]}"#, "Null prefix/suffix not allowed"),
        (r#"{"k": [{"anything-but": {"prefix": []}}]}"#, "Empty arrays are not allowed"),
        (r#"{"k": [{"exists": "true"}]}"#, "exists match pattern must be either true or false."),
        (r#"{"k": [{"cidr": "10.0.0.0"}]}"#, "Malformed CIDR, one '/' required"),
        (r#"{"k": [{"cidr": "10.0.0.0/x"}]}"#, "Malformed CIDR, mask bits must be an integer"),
        (r#"{"k": [{"cidr": "10.0.0.0/-1"}]}"#, "Malformed CIDR, mask bits must not be negative"),
        (r#"{"k": [{"cidr": "10.0.0.0/32"}]}"#, "IPv4 mask bits must be < 32"),
        (r#"{"k": [{"cidr": "::/128"}]}"#, "IPv6 mask bits must be < 128"),
        (r#"{"k": [{"cidr": "host/8"}]}"#, "Nonstandard IP address: host"),
        (r#"{"k": [{"cidr": "300.0.0.1/8"}]}"#, "Invalid IP address: 300.0.0.1"),
        (r#"{"$or": {"a": [1]}}"#, "It must be an Array followed with $or."),
        (r#"{"$or": [{"a": [1]}, 5]}"#, "Only JSON object is allowed in array of $or relationship."),
        (r#"{"$or": [{"a": [1]}]}"#, "There must have at least 2 Objects in $or relationship."),
        (r#"{"$or": [{"a": [1]}, {"prefix": [1]}]}"#, "prefix is Ruler reserved fieldName which cannot be used inside $or."),
    ];
    let mut wrong = Vec::new();
    for (pattern, expected) in cases {
        let got = reason(pattern);
        if got != *expected {
            wrong.push(format!(
                "{pattern}\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn limits_have_reasons() {
    let many_fields: Vec<String> = (0..257).map(|i| format!("\"f{i}\": [1]")).collect();
    assert_eq!(
        reason(&format!("{{{}}}", many_fields.join(","))),
        "Too many fields in one rule: at most 256 are allowed"
    );
    let ok_fields: Vec<String> = (0..256).map(|i| format!("\"f{i}\": [1]")).collect();
    assert!(Pattern::parse(&format!("{{{}}}", ok_fields.join(","))).is_ok());

    // Eleven two-way $or's multiply to 2048 sub-rules.
    let ors: Vec<String> = (0..11)
        .map(|i| format!("\"x{i}\": {{\"$or\": [{{\"a\": [1]}}, {{\"b\": [2]}}]}}"))
        .collect();
    assert_eq!(
        reason(&format!("{{{}}}", ors.join(","))),
        "Too many $or combinations: the pattern expands to more than 1024 sub-rules"
    );

    let deep = "{\"a\":".repeat(100_000);
    assert_eq!(
        reason(&deep),
        "Pattern is too large: 500000 bytes, at most 65536 are allowed"
    );
    let deep = "{\"a\":".repeat(2_000) + "[1]" + &"}".repeat(2_000);
    assert_eq!(
        reason(&deep),
        "Pattern is nested too deeply: at most 1000 levels are allowed"
    );

    assert!(matches!(
        Pattern::parse("{\"a\": [1"),
        Err(evmatch::PatternError::Syntax(_))
    ));
    assert!(matches!(
        Pattern::parse("{\"a\": [1]} x"),
        Err(evmatch::PatternError::Syntax(_))
    ));
}

#[test]
fn first_problem_in_document_order_wins() {
    assert_eq!(
        reason(r#"{"a": [{"prefix": 5, "suffix": "x"}]}"#),
        "prefix match pattern must be a string"
    );
    assert_eq!(
        reason(r#"{"a": "x", "b": []}"#),
        r#""a" must be an object or an array"#
    );
    assert_eq!(
        reason(r#"{"b": [], "a": "x"}"#),
        "Empty arrays are not allowed"
    );
    // Reserved words are fine as field names outside $or.
    assert!(Pattern::parse(r#"{"prefix": ["x"], "numeric": [1]}"#).is_ok());
}
