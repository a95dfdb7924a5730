//! Helm template masking: every template action (`{{ ... }}`, `{{- ... -}}`, actions that
//! span lines, `{{/* comments */}}`) becomes spaces, newlines kept, so the YAML around the
//! actions parses with the YAML grammar and every byte offset of the masked text is the
//! offset of the same byte in the template. A line that holds only control actions
//! (`{{- if ... }}`, `{{- end }}`) becomes blank and does not break the structure around it.
//!
//! The actions are kept, so rules can ask what stood where the YAML now shows nothing: a
//! value that was templated, a block injected by `{{ toYaml ... | nindent 10 }}`.

use std::ops::Range;

/// What a template action does to the rendered text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// `{{/* ... */}}`: renders nothing.
    Comment,
    /// `if`, `else`, `end`, `range`, `with`, `define`, `break`, `continue` and variable
    /// declarations: render nothing by themselves.
    Control,
    /// Anything else prints text: `{{ .Values.x }}`, `{{ include ... }}`, `{{ toYaml ... }}`,
    /// `{{ template ... }}`.
    Output,
}

/// One template action of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// From the first `{` to after the last `}`; to the end of the file when unterminated.
    pub range: Range<usize>,
    pub kind: ActionKind,
}

/// A template with its actions masked.
#[derive(Debug, Clone)]
pub struct Masked {
    /// The source with every action byte except line breaks replaced by a space; an output
    /// action glued to other text (part of a scalar) by `_`s instead, and a line left
    /// blank by its actions commented out with a `#` where its first action starts.
    pub text: String,
    /// The actions, in source order, never overlapping.
    pub actions: Vec<Action>,
}

/// Masks the template actions of `source`. The result has the same length and the same
/// line breaks as `source`.
pub fn mask(source: &str) -> Masked {
    let bytes = source.as_bytes();
    let mut out = bytes.to_vec();
    let mut actions = Vec::new();
    let mut from = 0;
    while let Some(start) = find(bytes, from, b"{{") {
        let (end, kind) = scan_action(bytes, start);
        for b in &mut out[start..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
        actions.push(Action { range: start..end, kind });
        from = end;
    }
    let actions = fold_blocks(bytes, &mut out, actions);
    fill_scalars(bytes, &mut out, &actions);
    comment_out_blanked_lines(bytes, &mut out, &actions);
    // Whole UTF-8 sequences were replaced (an action starts and ends on ASCII braces).
    let text = String::from_utf8(out).expect("masking replaces whole characters");
    Masked { text, actions }
}

impl Masked {
    /// Whether a template action touches `range`: lies inside it, or is separated from it
    /// only by blanks on the same line (`foo-{{ .Release.Name }}` parses as `foo-`).
    pub fn templated(&self, range: Range<usize>) -> bool {
        let bytes = self.text.as_bytes();
        let mut start = range.start.min(bytes.len());
        while start > 0 && matches!(bytes[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        let mut end = range.end.min(bytes.len());
        while end < bytes.len() && matches!(bytes[end], b' ' | b'\t') {
            end += 1;
        }
        let first = self.actions.partition_point(|a| a.range.end <= start);
        self.actions.get(first).is_some_and(|a| a.range.start < end.max(start + 1))
    }

    /// The actions that start in `range`, in order.
    pub fn actions_in(&self, range: Range<usize>) -> &[Action] {
        let first = self.actions.partition_point(|a| a.range.start < range.start);
        let last = self.actions.partition_point(|a| a.range.start < range.end);
        &self.actions[first..last.max(first)]
    }

    /// Whether `action` is the first thing on its line once masked: only blanks (or masked
    /// actions) stand before it, so what it prints starts a line of YAML.
    pub fn starts_line(&self, action: &Action) -> bool {
        let bytes = self.text.as_bytes();
        let line_start = bytes[..action.range.start].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let before = self.actions_in(line_start..action.range.start);
        (line_start..action.range.start)
            .all(|i| matches!(bytes[i], b' ' | b'\t') || before.iter().any(|a| a.range.contains(&i)))
    }
}

/// Folds blocks into single actions, masked whole:
/// - a `{{ define "name" }} ... {{ end }}` block renders nothing where it stands (charts
///   keep helpers in `_helpers.yaml` too): it becomes one [`ActionKind::Comment`];
/// - in `{{ if C }}A{{ else }}B{{ end }}` on one line, only one branch renders, and both
///   side by side are rarely YAML (`""` then `B`): the first branch is kept, the rest
///   from `{{ else }}` becomes one [`ActionKind::Control`].
fn fold_blocks(src: &[u8], out: &mut [u8], actions: Vec<Action>) -> Vec<Action> {
    struct Open {
        define: bool,
        /// Index in `folded` of the opening action, and of its first `else`.
        first: usize,
        first_else: Option<usize>,
    }
    let mut folded: Vec<Action> = Vec::with_capacity(actions.len());
    let mut open: Vec<Open> = Vec::new();
    for action in actions {
        let word = keyword(src, &action);
        let at = folded.len();
        folded.push(action);
        match word {
            b"if" | b"range" | b"with" | b"block" | b"define" => {
                open.push(Open { define: word == b"define", first: at, first_else: None });
            }
            b"else" => {
                if let Some(top) = open.last_mut() {
                    top.first_else.get_or_insert(at);
                }
            }
            b"end" => {
                let Some(top) = open.pop() else { continue };
                let end = folded[at].range.end;
                let from = if top.define {
                    Some((top.first, ActionKind::Comment))
                } else {
                    let one_line = !src[folded[top.first].range.start..end].contains(&b'\n');
                    top.first_else.filter(|_| one_line).map(|e| (e, ActionKind::Control))
                };
                if let Some((first, kind)) = from {
                    let start = folded[first].range.start;
                    folded.truncate(first);
                    for b in &mut out[start..end] {
                        if *b != b'\n' && *b != b'\r' {
                            *b = b' ';
                        }
                    }
                    folded.push(Action { range: start..end, kind });
                }
            }
            _ => {}
        }
    }
    folded
}

/// The first word of an action (`if`, `end`, `include`, `.Values.x`), after `{{` and `-`.
fn keyword<'s>(src: &'s [u8], action: &Action) -> &'s [u8] {
    let body = &src[action.range.clone()];
    let body = body.strip_prefix(b"{{").unwrap_or(body);
    let body = body.strip_prefix(b"-").unwrap_or(body).trim_ascii_start();
    let len = body.iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).unwrap_or(body.len());
    &body[..len]
}

/// An output action glued to other text (`{{ .Release.Name }}-tls`, `repo:{{ .tag }}`,
/// `{{ $key }}:`) is part of a scalar: blanks there would split it (`   -tls` would even
/// read as a sequence entry), so it becomes `_`s. Runs of adjacent actions count as one.
fn fill_scalars(src: &[u8], out: &mut [u8], actions: &[Action]) {
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = 0;
    while i < actions.len() {
        let mut j = i;
        while j + 1 < actions.len() && actions[j + 1].range.start == actions[j].range.end {
            j += 1;
        }
        let (start, end) = (actions[i].range.start, actions[j].range.end);
        let glued_after = src.get(end).is_some_and(|b| !blank(*b));
        let glued = (start > 0 && !blank(src[start - 1])) || glued_after;
        let line_start = src[..start].iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
        let starts_line = src[line_start..start].iter().all(|b| matches!(b, b' ' | b'\t'));
        let silent = actions[i..=j].iter().all(|a| a.kind != ActionKind::Output);
        let multi_line = src[start..end].contains(&b'\n');
        let after = src[end..].iter().position(|b| !matches!(b, b' ' | b'\t')).map(|i| src[end + i]);
        if starts_line
            && silent
            && !multi_line
            && end - start >= 3
            && after.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'"' | b'\'' | b'_'))
        {
            // `{{ if .x }}key: v`, `{{ if .x -}} key: v`: blanks would push the key to the
            // right of its siblings; an anchor in the action's place keeps it where it
            // renders.
            out[start] = b'&';
            out[start + 1..end - 1].fill(b'_');
            out[end - 1] = b' ';
        } else if glued {
            for a in &actions[i..=j] {
                if a.kind == ActionKind::Output && !src[a.range.clone()].contains(&b'\n') {
                    out[a.range.clone()].fill(b'_');
                }
            }
        }
        i = j + 1;
    }
}

/// A line that held only actions would be all blanks, and a leading all-blank line longer
/// than the indentation of a block scalar (`config: |` then `  {{- toYaml . | nindent 4 }}`)
/// is a YAML error. Such a line becomes a comment: a `#` where its first action starts, or
/// further right at the indentation of the next line of YAML (inside a block scalar, a
/// `#` less indented than the content would end the scalar).
fn comment_out_blanked_lines(src: &[u8], out: &mut [u8], actions: &[Action]) {
    let is_blank = |line: &[u8]| line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
    let mut line_start = 0;
    let mut next = 0;
    // The indentation of the next line holding YAML, found once per run of blanked lines.
    let mut next_indent: Option<(usize, usize)> = None;
    while line_start < src.len() {
        let line_end = find_byte(src, line_start, b'\n').unwrap_or(src.len());
        while next < actions.len() && actions[next].range.end <= line_start {
            next += 1;
        }
        let touched = actions.get(next).is_some_and(|a| a.range.start < line_end);
        if touched && is_blank(&out[line_start..line_end]) {
            if let Some(first) = src[line_start..line_end].iter().position(|b| !b.is_ascii_whitespace()) {
                if next_indent.is_none_or(|(from, _)| from < line_end) {
                    next_indent = Some(indent_of_next_content(out, line_end));
                }
                let want = next_indent.map_or(first, |(_, indent)| first.max(indent));
                let col = if line_start + want < line_end { want } else { first };
                out[line_start + col] = b'#';
            }
        }
        line_start = line_end + 1;
    }
}

/// The indentation of the first line after `from` whose masked text is not blank, with the
/// offset where that line starts; `(len, 0)` when there is none.
fn indent_of_next_content(out: &[u8], from: usize) -> (usize, usize) {
    let mut line_start = from + 1;
    while line_start < out.len() {
        let line_end = find_byte(out, line_start, b'\n').unwrap_or(out.len());
        let line = &out[line_start..line_end];
        if let Some(indent) = line.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
            return (line_start, indent);
        }
        line_start = line_end + 1;
    }
    (out.len(), 0)
}

fn find(hay: &[u8], from: usize, needle: &[u8; 2]) -> Option<usize> {
    hay.get(from..)?.windows(2).position(|w| w == needle).map(|i| i + from)
}

/// Finds the end of the action opening at `start` (which holds `{{`) and what it is.
fn scan_action(bytes: &[u8], start: usize) -> (usize, ActionKind) {
    let mut i = start + 2;
    if bytes.get(i) == Some(&b'-') && bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    if bytes[i..].starts_with(b"/*") {
        // A comment ends at `*/` followed by `}}` or ` -}}`.
        let Some(close) = find(bytes, i + 2, b"*/") else { return (bytes.len(), ActionKind::Comment) };
        return match find(bytes, close + 2, b"}}") {
            Some(end) => (end + 2, ActionKind::Comment),
            None => (bytes.len(), ActionKind::Comment),
        };
    }
    let kind = kind_of(&bytes[i..]);
    while i < bytes.len() {
        match bytes[i] {
            b'}' if bytes.get(i + 1) == Some(&b'}') => return (i + 2, kind),
            quote @ (b'"' | b'\'') => {
                // Interpreted strings and runes end at their quote, or at a line break if
                // the template is broken.
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'`' => {
                i = find_byte(bytes, i + 1, b'`').map_or(bytes.len(), |j| j + 1);
            }
            _ => i += 1,
        }
    }
    (bytes.len(), kind)
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes.get(from..)?.iter().position(|c| *c == b).map(|i| i + from)
}

/// Classifies an action from its text after `{{` and an optional `-`.
fn kind_of(body: &[u8]) -> ActionKind {
    let word_end = body
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$'))
        .unwrap_or(body.len());
    let word = &body[..word_end];
    match word {
        b"if" | b"else" | b"end" | b"range" | b"with" | b"define" | b"break" | b"continue" => {
            ActionKind::Control
        }
        _ if word.first() == Some(&b'$') => {
            // `$x := ...` and `$x = ...` declare or assign; `$x` alone prints it.
            let rest = body[word_end..].iter().skip_while(|b| b.is_ascii_whitespace());
            let rest: Vec<u8> = rest.take(2).copied().collect();
            if rest.starts_with(b":=") || (rest.first() == Some(&b'=') && rest.get(1) != Some(&b'=')) {
                ActionKind::Control
            } else {
                ActionKind::Output
            }
        }
        _ => ActionKind::Output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(src: &str) -> Masked {
        let m = mask(src);
        assert_eq!(m.text.len(), src.len(), "masking keeps every byte offset");
        for (i, (a, b)) in src.bytes().zip(m.text.bytes()).enumerate() {
            assert_eq!(a == b'\n', b == b'\n', "line breaks stay where they were");
            let in_action = m.actions.iter().any(|x| x.range.contains(&i));
            assert!(in_action || a == b, "text outside actions is untouched");
        }
        m
    }

    fn lines(m: &Masked) -> Vec<&str> {
        m.text.lines().collect()
    }

    #[test]
    fn inline_actions_become_blanks_at_the_same_offsets() {
        let src = "name: {{ .Values.name }}\nimage: \"{{ .Values.repo }}:{{ .Values.tag }}\"\n";
        let m = masked(src);
        assert_eq!(lines(&m)[0].trim_end(), "name:");
        let colon = src.rfind("}}:").unwrap() + 2;
        assert_eq!(&m.text[colon..colon + 1], ":");
        assert_eq!(m.actions.len(), 3);
        assert!(m.actions.iter().all(|a| a.kind == ActionKind::Output));
    }

    #[test]
    fn actions_glued_to_text_stay_part_of_the_scalar() {
        let src = "a: {{ .Release.Name }}-{{ .Values.x }}\nb: repo:{{ .tag }}\n{{ $k }}: v\n";
        let m = masked(src);
        let l = lines(&m);
        assert_eq!(l[0], format!("a: {}-{}", "_".repeat(19), "_".repeat(15)));
        assert_eq!(l[1], format!("b: repo:{}", "_".repeat(10)));
        assert_eq!(l[2], "________: v");
    }

    #[test]
    fn a_condition_glued_to_a_key_keeps_the_key_in_its_column() {
        let src = "m:\n  {{ if .x }}k: 1{{ end }}\n  j: 2\n";
        let m = masked(src);
        assert_eq!(lines(&m)[1], format!("  &{} k: 1{}", "_".repeat(9), " ".repeat(9)));
    }

    #[test]
    fn control_only_lines_become_comments() {
        let src =
            "a:\n  {{- if .Values.x }}\n  b: 1\n  {{- else if .Values.y -}}\n  {{ $v := 2 }}\n  {{- end }}\n";
        let m = masked(src);
        let l = lines(&m);
        assert_eq!(l[1].trim_end(), "  #");
        assert_eq!(l[2], "  b: 1");
        assert_eq!(l[3].trim_end(), "  #");
        assert_eq!(l[4].trim_end(), "  #");
        assert!(m.actions.iter().all(|a| a.kind == ActionKind::Control));
    }

    #[test]
    fn a_blanked_line_in_a_block_scalar_is_commented_at_the_content_indentation() {
        // Blanks longer than the scalar's indentation, or a `#` left of it, would both be
        // YAML errors.
        let src = "data:\n  conf: |\n  {{- if .Values.x }}\n    global: 1\n";
        let m = masked(src);
        assert_eq!(lines(&m)[2].trim_end(), "    #");
    }

    #[test]
    fn multi_line_actions_and_comments_keep_their_line_breaks() {
        let src = "{{/* a comment\n with }} inside? no: */}}\nx: {{ dict\n  \"k\" \"}}\"\n  `raw }}` }}\ny: 1\n{{- /* trimmed */ -}}\n";
        let m = masked(src);
        assert_eq!(m.actions.len(), 3);
        assert_eq!(m.actions[0].kind, ActionKind::Comment);
        assert_eq!(m.actions[1].kind, ActionKind::Output);
        assert_eq!(m.actions[2].kind, ActionKind::Comment);
        let l = lines(&m);
        assert_eq!(l.len(), 7);
        assert_eq!(l[0].trim_end(), "#");
        assert_eq!(l[1].trim(), "#");
        assert_eq!(l[2].trim_end(), "x:");
        assert_eq!(l[5], "y: 1");
        assert_eq!(l[6].trim_end(), "#");
    }

    #[test]
    fn define_blocks_render_nothing_where_they_stand() {
        let src = "{{- define \"app.labels\" -}}\n{{ include \"x\" . }}\napp: {{ .Chart.Name }}\n{{- if .x }}\nk: v\n{{- end }}\n{{- end }}\nkind: Pod\n";
        let m = mask(src);
        assert_eq!(m.actions.len(), 1);
        assert_eq!(m.actions[0].kind, ActionKind::Comment);
        let l = lines(&m);
        assert!(l[..7].iter().all(|l| !l.contains(|c: char| c.is_alphanumeric())), "{l:?}");
        assert_eq!(l[7], "kind: Pod");
    }

    #[test]
    fn one_line_alternatives_keep_the_first_branch() {
        let src = "a: {{ if (eq \"-\" .) }}\"\"{{ else }}{{ . }}{{ end }}\n{{ if .s -}} stringData: {{- else -}} data: {{- end }}\n  k: v\n";
        let m = masked(src);
        let l = lines(&m);
        assert_eq!(l[0].trim_end(), format!("a: {}\"\"", " ".repeat(19)));
        assert!(l[1].starts_with("&_") && l[1].trim_end().ends_with(" stringData:"), "{:?}", l[1]);
        let tree = crate::parse(crate::Language::HelmTemplate, &m.text).unwrap();
        assert!(!tree.root_node().has_error(), "{}", m.text);
    }

    #[test]
    fn non_ascii_inside_an_action_is_masked_whole() {
        let src = "a: {{ \"héllo\" }} é\n";
        let m = masked(src);
        assert_eq!(m.text, format!("a:{} é\n", " ".repeat("{{ \"héllo\" }}".len() + 1)));
    }

    #[test]
    fn unterminated_action_masks_to_the_end() {
        let m = masked("a: 1\nb: {{ .Values.x\nc: 2\n");
        assert_eq!(m.text, format!("a: 1\nb: {}\n#{}\n", " ".repeat(12), " ".repeat(3)));
    }

    #[test]
    fn templated_values_are_recognized() {
        let src = "a: foo-{{ .Release.Name }}\nb: plain\nc: \"{{ .x }}-tls\"\nd: {{ .y }}-z\ne: {{ .w }}\n";
        let m = masked(src);
        let value = |key: &str| {
            let line = src.find(key).unwrap();
            let end = src[line..].find('\n').unwrap() + line;
            let start = line + key.len() + 1;
            let s = m.text[start..end].trim_start();
            let start = end - s.len();
            start..start + s.trim_end().len()
        };
        assert!(m.templated(value("a:")));
        assert!(!m.templated(value("b:")));
        assert!(m.templated(value("c:")));
        assert!(m.templated(value("d:")));
        assert!(m.templated(value("e:")), "an empty value next to an action");
    }

    #[test]
    fn actions_that_start_a_line() {
        let src =
            "a:\n    {{- toYaml .Values.x | nindent 4 }}\nb: {{ .y }}\n  {{- if .z }}{{ include \"t\" . }}\n";
        let m = masked(src);
        assert!(m.starts_line(&m.actions[0]));
        assert!(!m.starts_line(&m.actions[1]));
        assert!(m.starts_line(&m.actions[3]), "after another action");
        assert_eq!(m.actions_in(0..src.find("b:").unwrap()).len(), 1);
    }

    #[test]
    fn masked_templates_parse() {
        let src = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\ndata:\n  {{- range $k, $v := .Values.files }}\n  {{ $k }}: |\n    {{- $v | nindent 4 }}\n  {{- end }}\n  conf.yaml: |\n    {{- toYaml .Values.conf | nindent 4 }}\n";
        let m = masked(src);
        let tree = crate::parse(crate::Language::HelmTemplate, &m.text).unwrap();
        assert!(!tree.root_node().has_error(), "{}", m.text);
    }
}
