//! A subset of kintone's query language for `GET records.json`: conditions with `=`, `!=`, `<`,
//! `>`, `<=`, `>=`, `in`, `not in`, `like`, `not like`, joined by `and`/`or` with parentheses,
//! then `order by`, `limit` (default 100, at most 500) and `offset` (at most 10,000).
//!
//! Fields inside a table match through any row (`=`/`!=` on them is `GAIA_IQ07`); an `in` value
//! that is not an option of a choice field is `GAIA_IQ10`.
//!
//! `like` here is a case-sensitive substring match; kintone's is a word-based full-text search
//! (`docs/kintone.md` §3.6), so tests must not depend on the difference. Functions (`TODAY()`, …)
//! are not supported and are refused as a syntax error.

use std::cmp::Ordering;

use serde_json::Value;

/// A parsed query.
#[derive(Debug)]
pub(crate) struct Query {
    condition: Option<Condition>,
    order: Vec<(String, bool)>,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

#[derive(Debug)]
enum Condition {
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Compare { field: String, op: Op, value: String },
    In { field: String, negated: bool, values: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Like,
    NotLike,
}

/// Why a query was refused, mapped by the caller to kintone's error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum QueryError {
    Syntax,
    LimitTooLarge,
    OffsetTooLarge,
    UnknownField(String),
    Operator(String, &'static str),
    TableEquality(String),
    NotAnOption(String, String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Symbol(&'static str),
}

fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = query.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' => {
                chars.next();
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next().ok_or(QueryError::Syntax)? {
                        '"' => break,
                        '\\' => text.push(chars.next().ok_or(QueryError::Syntax)?),
                        '\t' | '\n' | '\r' => return Err(QueryError::Syntax),
                        other => text.push(other),
                    }
                }
                tokens.push(Token::Text(text));
            }
            '(' | ')' | ',' => {
                chars.next();
                tokens.push(Token::Symbol(match c {
                    '(' => "(",
                    ')' => ")",
                    _ => ",",
                }));
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let with_eq = chars.peek() == Some(&'=');
                if with_eq {
                    chars.next();
                }
                tokens.push(Token::Symbol(match (c, with_eq) {
                    ('=', false) => "=",
                    ('!', true) => "!=",
                    ('<', false) => "<",
                    ('<', true) => "<=",
                    ('>', false) => ">",
                    ('>', true) => ">=",
                    _ => return Err(QueryError::Syntax),
                }));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(
                        c,
                        ' ' | '"' | '(' | ')' | ',' | '=' | '!' | '<' | '>' | '\t' | '\n'
                    ) {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                if word.is_empty() {
                    return Err(QueryError::Syntax);
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.at += 1;
        }
        found
    }

    fn symbol(&mut self, symbol: &'static str) -> bool {
        let found = self.tokens.get(self.at) == Some(&Token::Symbol(symbol));
        if found {
            self.at += 1;
        }
        found
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Result<Condition, QueryError> {
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, QueryError> {
        let mut left = self.atom()?;
        while self.keyword("and") {
            left = Condition::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }

    fn value(&mut self) -> Result<String, QueryError> {
        match self.next() {
            Some(Token::Text(text)) => Ok(text),
            Some(Token::Word(word)) if word.parse::<f64>().is_ok() => Ok(word),
            _ => Err(QueryError::Syntax),
        }
    }

    fn atom(&mut self) -> Result<Condition, QueryError> {
        if self.symbol("(") {
            let inner = self.or()?;
            return if self.symbol(")") { Ok(inner) } else { Err(QueryError::Syntax) };
        }
        let Some(Token::Word(field)) = self.next() else { return Err(QueryError::Syntax) };
        let negated = self.keyword("not");
        if self.keyword("in") {
            if !self.symbol("(") {
                return Err(QueryError::Syntax);
            }
            let mut values = vec![self.value()?];
            while self.symbol(",") {
                values.push(self.value()?);
            }
            return if self.symbol(")") {
                Ok(Condition::In { field, negated, values })
            } else {
                Err(QueryError::Syntax)
            };
        }
        let op = if self.keyword("like") {
            if negated { Op::NotLike } else { Op::Like }
        } else if negated {
            return Err(QueryError::Syntax);
        } else {
            match self.next() {
                Some(Token::Symbol("=")) => Op::Eq,
                Some(Token::Symbol("!=")) => Op::Ne,
                Some(Token::Symbol("<")) => Op::Lt,
                Some(Token::Symbol(">")) => Op::Gt,
                Some(Token::Symbol("<=")) => Op::Le,
                Some(Token::Symbol(">=")) => Op::Ge,
                _ => return Err(QueryError::Syntax),
            }
        };
        Ok(Condition::Compare { field, op, value: self.value()? })
    }

    /// `limit n` / `offset n`: a whole number from 0 to `max` (over it: `too_large`).
    fn option(
        &mut self,
        keyword: &str,
        max: usize,
        too_large: QueryError,
    ) -> Result<Option<usize>, QueryError> {
        if !self.keyword(keyword) {
            return Ok(None);
        }
        let Some(Token::Word(word)) = self.next() else { return Err(QueryError::Syntax) };
        let value: i64 = word.parse().map_err(|_| QueryError::Syntax)?;
        let value = usize::try_from(value).map_err(|_| QueryError::Syntax)?;
        if value > max { Err(too_large) } else { Ok(Some(value)) }
    }
}

/// Parses a query; an empty query selects everything.
pub(crate) fn parse(query: &str) -> Result<Query, QueryError> {
    let mut parser = Parser { tokens: tokenize(query)?, at: 0 };
    let starts_with_option = ["order", "limit", "offset"].iter().any(|k| parser.peek_keyword(k));
    let condition =
        if parser.tokens.is_empty() || starts_with_option { None } else { Some(parser.or()?) };
    let mut order = Vec::new();
    if parser.keyword("order") {
        if !parser.keyword("by") {
            return Err(QueryError::Syntax);
        }
        loop {
            let Some(Token::Word(field)) = parser.next() else { return Err(QueryError::Syntax) };
            let descending = if parser.keyword("desc") {
                true
            } else {
                parser.keyword("asc");
                false
            };
            order.push((field, descending));
            if !parser.symbol(",") {
                break;
            }
        }
    }
    let limit = parser.option("limit", 500, QueryError::LimitTooLarge)?.unwrap_or(100);
    let offset = parser.option("offset", 10_000, QueryError::OffsetTooLarge)?.unwrap_or(0);
    if parser.at < parser.tokens.len() {
        return Err(QueryError::Syntax);
    }
    if order.is_empty() {
        order.push(("$id".to_owned(), true));
    }
    Ok(Query { condition, order, limit, offset })
}

/// A field's value in a record in read shape: its string(s).
fn field_values(record: &Value, field: &str) -> Vec<String> {
    if record.get(field).is_none() {
        // A field inside a table: the record matches through any of its rows.
        let rows = record
            .as_object()
            .into_iter()
            .flat_map(|fields| fields.values())
            .filter(|f| f.get("type").and_then(Value::as_str) == Some("SUBTABLE"))
            .filter_map(|table| table.get("value").and_then(Value::as_array))
            .flatten();
        return rows
            .filter_map(|row| row.get("value"))
            .flat_map(|row| match row.get(field).and_then(|f| f.get("value")) {
                Some(Value::String(text)) => vec![text.clone()],
                Some(Value::Array(items)) => {
                    items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
                }
                _ => Vec::new(),
            })
            .collect();
    }
    match record.get(field).and_then(|f| f.get("value")) {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => {
            items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
        }
        Some(Value::Null) | None => vec![String::new()],
        Some(other) => vec![other.to_string()],
    }
}

fn compare(left: &str, right: &str) -> Ordering {
    match (left.parse::<f64>(), right.parse::<f64>()) {
        (Ok(l), Ok(r)) => l.partial_cmp(&r).unwrap_or(Ordering::Equal),
        _ => left.cmp(right),
    }
}

impl Condition {
    fn matches(&self, record: &Value) -> bool {
        match self {
            Self::And(l, r) => l.matches(record) && r.matches(record),
            Self::Or(l, r) => l.matches(record) || r.matches(record),
            Self::In { field, negated, values } => {
                let found = field_values(record, field).iter().any(|v| values.contains(v));
                found != *negated
            }
            Self::Compare { field, op, value } => {
                let actual = field_values(record, field);
                let first = actual.first().map(String::as_str).unwrap_or_default();
                match op {
                    Op::Eq => compare(first, value).is_eq(),
                    Op::Ne => !compare(first, value).is_eq(),
                    Op::Lt => compare(first, value).is_lt(),
                    Op::Gt => compare(first, value).is_gt(),
                    Op::Le => compare(first, value).is_le(),
                    Op::Ge => compare(first, value).is_ge(),
                    Op::Like => actual.iter().any(|v| v.contains(value.as_str())),
                    Op::NotLike => !actual.iter().any(|v| v.contains(value.as_str())),
                }
            }
        }
    }
}

impl Condition {
    fn fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Self::And(l, r) | Self::Or(l, r) => {
                l.fields(out);
                r.fields(out);
            }
            Self::Compare { field, .. } | Self::In { field, .. } => out.push(field),
        }
    }
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Like => "like",
            Self::NotLike => "not like",
        }
    }
}

impl Condition {
    fn operators<'a>(&'a self, out: &mut Vec<(&'a str, &'static str)>) {
        match self {
            Self::And(l, r) | Self::Or(l, r) => {
                l.operators(out);
                r.operators(out);
            }
            Self::Compare { field, op, .. } => out.push((field, op.name())),
            Self::In { field, negated, .. } => {
                out.push((field, if *negated { "not in" } else { "in" }));
            }
        }
    }
}

/// The operators kintone allows on a field type (`docs/kintone.md` §3.6); `None` for types the
/// table does not list, which are not restricted here.
pub(crate) fn allowed_operators(kind: &str) -> Option<&'static [&'static str]> {
    const TEXT: &[&str] = &["=", "!=", "in", "not in", "like", "not like"];
    const LIKE: &[&str] = &["like", "not like"];
    const NUMBER: &[&str] = &["=", "!=", ">", "<", ">=", "<=", "in", "not in"];
    const CHOICE: &[&str] = &["in", "not in"];
    const TIME: &[&str] = &["=", "!=", ">", "<", ">=", "<="];
    const STATUS: &[&str] = &["=", "!=", "in", "not in"];
    Some(match kind {
        "SINGLE_LINE_TEXT" | "LINK" => TEXT,
        "MULTI_LINE_TEXT" | "RICH_TEXT" | "FILE" => LIKE,
        "NUMBER" | "CALC" | "RECORD_NUMBER" | "__ID__" | "__REVISION__" => NUMBER,
        "DROP_DOWN"
        | "RADIO_BUTTON"
        | "CHECK_BOX"
        | "MULTI_SELECT"
        | "USER_SELECT"
        | "ORGANIZATION_SELECT"
        | "GROUP_SELECT"
        | "CREATOR"
        | "MODIFIER" => CHOICE,
        "DATE" | "TIME" | "DATETIME" | "CREATED_TIME" | "UPDATED_TIME" => TIME,
        "STATUS" => STATUS,
        _ => return None,
    })
}

impl Query {
    /// Every (field, operator) pair of the conditions.
    pub(crate) fn operators(&self) -> Vec<(&str, &'static str)> {
        let mut operators = Vec::new();
        if let Some(condition) = &self.condition {
            condition.operators(&mut operators);
        }
        operators
    }

    /// Every (field, values) of an `in` / `not in` condition.
    pub(crate) fn in_values(&self) -> Vec<(&str, &[String])> {
        fn walk<'a>(condition: &'a Condition, out: &mut Vec<(&'a str, &'a [String])>) {
            match condition {
                Condition::And(l, r) | Condition::Or(l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Condition::In { field, values, .. } => out.push((field, values)),
                Condition::Compare { .. } => {}
            }
        }
        let mut out = Vec::new();
        if let Some(condition) = &self.condition {
            walk(condition, &mut out);
        }
        out
    }

    /// Every field code the query names, in conditions and in `order by`.
    pub(crate) fn fields(&self) -> Vec<&str> {
        let mut fields = Vec::new();
        if let Some(condition) = &self.condition {
            condition.fields(&mut fields);
        }
        fields.extend(self.order.iter().map(|(field, _)| field.as_str()));
        fields
    }

    /// The matching records (in read shape), sorted, before limit and offset.
    pub(crate) fn select(&self, records: Vec<Value>) -> Vec<Value> {
        let mut selected: Vec<Value> = records
            .into_iter()
            .filter(|r| self.condition.as_ref().is_none_or(|c| c.matches(r)))
            .collect();
        selected.sort_by(|a, b| {
            self.order
                .iter()
                .map(|(field, descending)| {
                    let left = field_values(a, field).concat();
                    let right = field_values(b, field).concat();
                    let ordering = compare(&left, &right);
                    if *descending { ordering.reverse() } else { ordering }
                })
                .find(|ordering| !ordering.is_eq())
                .unwrap_or(Ordering::Equal)
        });
        selected
    }
}
