//! Events built to be expensive: deep nesting along needed paths, long arrays of objects under
//! array-consistent rules.

use evmatch::{Matcher, Validation};

/// The reader recurses only along needed paths, and arrays keep their path: a rule on `a` makes
/// `{"a": [[[...]]]}` recurse once per level. At the depth limit that must fit in a default
/// 2 MiB thread stack (in debug builds too), and one level more is a clean error.
#[test]
fn deepest_accepted_event_fits_a_default_thread_stack() {
    std::thread::spawn(|| {
        for validation in [Validation::Full, Validation::Structural] {
            let mut matcher = Matcher::builder().validation(validation).build();
            matcher.add_rule("a", r#"{"a": [1]}"#).unwrap();
            matcher.add_rule("b", r#"{"a": {"b": [1]}}"#).unwrap();
            let max = evmatch::limits::MAX_DEPTH;
            // The root object is one level, so the array may nest `max - 1` deep.
            let event =
                |depth: usize| format!(r#"{{"a": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
            let deepest = event(max - 1);
            assert_eq!(matcher.matches(deepest.as_bytes()).unwrap(), ["a"]);
            assert!(matches!(
                matcher.matches(event(max).as_bytes()),
                Err(evmatch::EventError::TooDeep { .. })
            ));
            let objects = format!(
                r#"{{"a": {}{{"b": 1}}{}}}"#,
                "[".repeat(max - 2),
                "]".repeat(max - 2)
            );
            assert_eq!(matcher.matches(objects.as_bytes()).unwrap(), ["b"]);
        }
    })
    .join()
    .unwrap();
}

/// Array consistency is decided without trying pairs of elements: 100,000 elements where every
/// even one has the right `x` and every odd one the right `y` (so no element has both) is
/// answered in time linear in the event (about 30 ms in a release build here; no timing is
/// asserted, but a quadratic search would take minutes).
#[test]
fn long_array_of_objects_is_decided_in_linear_time() {
    let n = 100_000;
    let mut event = String::from(r#"{"arr": ["#);
    for i in 0..n {
        if i > 0 {
            event.push(',');
        }
        event.push_str(if i % 2 == 0 {
            r#"{"x": 1, "y": 3}"#
        } else {
            r#"{"x": 0, "y": 2}"#
        });
    }
    event.push_str("]}");
    let mut matcher = Matcher::new();
    matcher
        .add_rule("same-element", r#"{"arr": {"x": [1], "y": [2]}}"#)
        .unwrap();
    matcher
        .add_rule("any-element", r#"{"arr": {"x": [1]}}"#)
        .unwrap();
    assert_eq!(matcher.matches(event.as_bytes()).unwrap(), ["any-element"]);
    // The last element fixed up to have both: now it matches.
    let fixed = event.replacen(r#"{"x": 0, "y": 2}]"#, r#"{"x": 1, "y": 2}]"#, 1);
    assert_eq!(
        matcher.matches(fixed.as_bytes()).unwrap(),
        ["same-element", "any-element"]
    );
}

/// `exists: false` inside an array of objects is judged against the whole choice, also without
/// a search: 100,000 elements, every one with `x` and also `y`, but one.
#[test]
fn absence_in_long_array_of_objects_is_decided_in_linear_time() {
    let n = 100_000;
    let element = |i: usize| {
        if i == n / 2 {
            r#"{"x": 1}"#
        } else {
            r#"{"x": 1, "y": 0}"#
        }
    };
    let event = |skip_the_one: bool| {
        let mut text = String::from(r#"{"arr": ["#);
        for i in 0..n {
            if i > 0 {
                text.push(',');
            }
            text.push_str(if skip_the_one && i == n / 2 {
                r#"{"x": 1, "y": 0}"#
            } else {
                element(i)
            });
        }
        text.push_str("]}");
        text
    };
    let mut matcher = Matcher::new();
    matcher
        .add_rule(
            "x-without-y",
            r#"{"arr": {"x": [1], "y": [{"exists": false}]}}"#,
        )
        .unwrap();
    assert_eq!(
        matcher.matches(event(false).as_bytes()).unwrap(),
        ["x-without-y"]
    );
    assert!(matcher.matches(event(true).as_bytes()).unwrap().is_empty());
}
