/// Byte offsets to 1-based lines and columns, where a column counts Unicode code points
/// (as ruff's do and as SARIF's `unicodeCodePoints` says).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(source.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and 1-based code-point column of a byte offset.
    pub fn line_col(&self, source: &str, offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.line_of(offset);
        let col = source[self.starts[line]..offset].chars().count();
        (line as u32 + 1, col as u32 + 1)
    }

    /// The byte range of a 0-based line, without its line ending.
    pub fn line_range(&self, source: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.starts[line];
        let mut end = self.starts.get(line + 1).copied().unwrap_or(source.len());
        let bytes = source.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line]
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_code_points() {
        let src = "a\nxé = [b]\r\nlast";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        let b = src.find('[').unwrap();
        assert_eq!(idx.line_col(src, b), (2, 6));
        assert_eq!(&src[idx.line_range(src, 1)], "xé = [b]");
        assert_eq!(idx.line_col(src, src.len()), (3, 5));
        assert_eq!(idx.line_count(), 3);
    }
}
