//! The part of KQL the simulator's Resource Graph understands: the `resources` and
//! `resourcechanges` tables (or a query that starts with an operator, meaning `resources`),
//! `where` with `and`/`or`/`not(…)`, string, list, number and datetime comparisons (`ago()`,
//! `now()`, `datetime(…)`, `between (… .. …)`, `todatetime()`/`tostring()`/`tolower()`),
//! `project`, `order by`/`sort by`, and `limit`/`take`. Anything else is refused the way
//! Resource Graph refuses an invalid query.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The tables a query can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Resources,
    ResourceChanges,
}

/// The data type of a column, as the table result format names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Object,
    DateTime,
}

impl ColumnType {
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Object => "object",
            ColumnType::DateTime => "datetime",
        }
    }
}

/// The columns of both tables, in Resource Graph's order.
pub const COLUMNS: [(&str, ColumnType); 16] = [
    ("id", ColumnType::String),
    ("name", ColumnType::String),
    ("type", ColumnType::String),
    ("tenantId", ColumnType::String),
    ("kind", ColumnType::String),
    ("location", ColumnType::String),
    ("resourceGroup", ColumnType::String),
    ("subscriptionId", ColumnType::String),
    ("managedBy", ColumnType::String),
    ("sku", ColumnType::Object),
    ("plan", ColumnType::Object),
    ("properties", ColumnType::Object),
    ("tags", ColumnType::Object),
    ("identity", ColumnType::Object),
    ("zones", ColumnType::Object),
    ("extendedLocation", ColumnType::Object),
];

/// Why a query was refused: the second `details` entry of Resource Graph's error.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryError {
    /// `ParserFailure` for syntax, `InvalidQueryLanguage` for what the simulator does not run.
    pub code: &'static str,
    pub message: String,
    pub line: usize,
    pub position: usize,
    pub token: String,
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    pub table: Table,
    stages: Vec<Stage>,
    /// The output columns.
    pub columns: Vec<(String, ColumnType)>,
    /// `limit`/`take` present: Resource Graph gives no `$skipToken` then.
    pub has_limit: bool,
    /// The directions of the final sort (empty when unsorted: rows come by id).
    pub sort_descending: Vec<bool>,
    /// Identifies the query text, so that a skip token is only honoured for its own query.
    pub fingerprint: String,
}

/// A result row: its values, the lower-cased id of the record it came from (paging is keyed by
/// it even when `id` is not projected), and the values it was last sorted by.
#[derive(Debug, Clone)]
pub struct Row {
    pub id_key: String,
    pub values: Map<String, Value>,
    pub sort_key: Vec<Value>,
}

#[derive(Debug, Clone)]
enum Stage {
    Where(Expr),
    Project(Vec<(String, Operand)>),
    Order(Vec<(Operand, bool)>),
    Limit(usize),
}

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    None,
    ToDateTime,
    ToString,
    ToLower,
    ToUpper,
}

#[derive(Debug, Clone)]
struct Operand {
    conversion: Conversion,
    column: String,
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    NotEq,
    EqTilde,
    NotEqTilde,
    Contains { negated: bool, case_sensitive: bool },
    StartsWith { negated: bool, case_sensitive: bool },
    EndsWith { negated: bool, case_sensitive: bool },
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Op, Literal),
    In {
        operand: Operand,
        list: Vec<Literal>,
        case_insensitive: bool,
        negated: bool,
    },
    Between {
        operand: Operand,
        low: Literal,
        high: Literal,
        negated: bool,
    },
    IsEmpty(Operand, bool),
    IsNull(Operand, bool),
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Span(Duration),
    Time(DateTime<Utc>),
    Sym(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    position: usize,
    text: String,
}

const SYMBOLS: [&str; 20] = [
    "..", "==", "!=", "=~", "!~", "<=", ">=", "|", "(", ")", ",", ".", "[", "]", "<", ">", "=",
    "!", "~", "-",
];

fn parse_failure(line: usize, position: usize, token: &str, message: String) -> QueryError {
    QueryError {
        code: "ParserFailure",
        message,
        line,
        position,
        token: token.to_owned(),
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    while i < chars.len() {
        let c = chars[i];
        let position = i - line_start;
        if c == '\n' {
            line += 1;
            line_start = i + 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let tok = if c == '\''
            || c == '"'
            || (c == '@' && matches!(chars.get(i + 1), Some('\'' | '"')))
        {
            let verbatim = c == '@';
            if verbatim {
                i += 1;
            }
            let quote = chars[i];
            i += 1;
            let mut value = String::new();
            loop {
                match chars.get(i) {
                    None => {
                        return Err(parse_failure(
                            line,
                            position,
                            &chars[start..].iter().collect::<String>(),
                            "an unterminated string literal".into(),
                        ))
                    }
                    Some('\\') if !verbatim => {
                        let escaped = chars.get(i + 1).copied().unwrap_or('\\');
                        value.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                        i += 2;
                    }
                    Some(&ch) if ch == quote => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        value.push(ch);
                        i += 1;
                    }
                }
            }
            Tok::Str(value)
        } else if c.is_ascii_digit() {
            while i < chars.len()
                && (chars[i].is_ascii_digit()
                    || (chars[i] == '.' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())))
            {
                i += 1;
            }
            let number: f64 = chars[start..i]
                .iter()
                .collect::<String>()
                .parse()
                .map_err(|_| {
                    parse_failure(
                        line,
                        position,
                        &chars[start..i].iter().collect::<String>(),
                        "a malformed number".into(),
                    )
                })?;
            let unit_start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            if unit_start == i {
                Tok::Num(number)
            } else {
                let unit: String = chars[unit_start..i].iter().collect();
                let span = timespan(number, &unit.to_ascii_lowercase()).ok_or_else(|| {
                    parse_failure(
                        line,
                        position,
                        &chars[start..i].iter().collect::<String>(),
                        format!("unknown timespan unit '{unit}'"),
                    )
                })?;
                Tok::Span(span)
            }
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.eq_ignore_ascii_case("datetime") {
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&'(') {
                    let close = chars[j..]
                        .iter()
                        .position(|&ch| ch == ')')
                        .map(|offset| j + offset)
                        .ok_or_else(|| {
                            parse_failure(line, position, &word, "datetime( is not closed".into())
                        })?;
                    let raw: String = chars[j + 1..close].iter().collect();
                    let raw = raw.trim().trim_matches(|ch| ch == '\'' || ch == '"');
                    let at = parse_datetime(raw).ok_or_else(|| {
                        parse_failure(
                            line,
                            position,
                            raw,
                            format!("'{raw}' is not a datetime literal"),
                        )
                    })?;
                    i = close + 1;
                    tokens.push(Token {
                        tok: Tok::Time(at),
                        line,
                        position,
                        text: chars[start..i].iter().collect(),
                    });
                    continue;
                }
            }
            Tok::Ident(word)
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| {
                    parse_failure(
                        line,
                        position,
                        &c.to_string(),
                        format!("unexpected character '{c}'"),
                    )
                })?;
            i += symbol.chars().count();
            Tok::Sym(symbol)
        };
        tokens.push(Token {
            tok,
            line,
            position,
            text: chars[start..i].iter().collect(),
        });
    }
    Ok(tokens)
}

fn timespan(number: f64, unit: &str) -> Option<Duration> {
    let milliseconds = match unit {
        "d" | "day" | "days" => 86_400_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        "m" | "min" | "minute" | "minutes" => 60_000.0,
        "s" | "sec" | "second" | "seconds" => 1_000.0,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1.0,
        _ => return None,
    };
    Some(Duration::milliseconds((number * milliseconds) as i64))
}

/// ISO 8601 with or without a zone (UTC assumed), or a plain date.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

// ---------------------------------------------------------------------------------------------
// Parser

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    now: DateTime<Utc>,
    end_position: (usize, usize),
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.at + offset).map(|t| &t.tok)
    }

    fn error_here(&self, message: impl Into<String>) -> QueryError {
        match self.tokens.get(self.at) {
            Some(t) => parse_failure(t.line, t.position, &t.text, message.into()),
            None => parse_failure(
                self.end_position.0,
                self.end_position.1,
                "<EOF>",
                message.into(),
            ),
        }
    }

    fn unsupported_here(&self, message: impl Into<String>) -> QueryError {
        QueryError {
            code: "InvalidQueryLanguage",
            ..self.error_here(message)
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.tokens.get(self.at).map(|t| t.tok.clone());
        if tok.is_some() {
            self.at += 1;
        }
        tok
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.is_keyword(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if *s == symbol)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.is_symbol(symbol);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), QueryError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.error_here(format!("expected '{symbol}'")))
        }
    }

    fn identifier(&mut self) -> Result<String, QueryError> {
        match self.peek().cloned() {
            Some(Tok::Ident(word)) => {
                self.at += 1;
                Ok(word)
            }
            _ => Err(self.error_here("expected a name")),
        }
    }

    fn operand(&mut self, schema: &[(String, ColumnType)]) -> Result<Operand, QueryError> {
        let conversion = match self.peek() {
            Some(Tok::Ident(word)) if self.peek_at(1) == Some(&Tok::Sym("(")) => {
                let conversion = match word.to_ascii_lowercase().as_str() {
                    "todatetime" => Conversion::ToDateTime,
                    "tostring" => Conversion::ToString,
                    "tolower" => Conversion::ToLower,
                    "toupper" => Conversion::ToUpper,
                    _ => {
                        return Err(self.unsupported_here(format!(
                            "the function '{word}' is not supported by the simulator"
                        )))
                    }
                };
                self.at += 2;
                conversion
            }
            _ => Conversion::None,
        };
        let column_token = self.at;
        let column = self.identifier()?;
        if !schema.iter().any(|(name, _)| *name == column) {
            self.at = column_token;
            return Err(QueryError {
                code: "InvalidQueryLanguage",
                ..self.error_here(format!(
                    "Failed to resolve scalar expression named '{column}'"
                ))
            });
        }
        let mut path = Vec::new();
        loop {
            if self.eat_symbol(".") {
                path.push(Segment::Key(self.identifier()?));
            } else if self.eat_symbol("[") {
                match self.next() {
                    Some(Tok::Str(key)) => path.push(Segment::Key(key)),
                    Some(Tok::Num(n)) if n >= 0.0 && n.fract() == 0.0 => {
                        path.push(Segment::Index(n as usize))
                    }
                    _ => {
                        self.at -= 1;
                        return Err(self.error_here("expected a key or an index"));
                    }
                }
                self.expect_symbol("]")?;
            } else {
                break;
            }
        }
        if conversion != Conversion::None {
            self.expect_symbol(")")?;
        }
        Ok(Operand {
            conversion,
            column,
            path,
        })
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let negative = self.eat_symbol("-");
        let sign = if negative { -1.0 } else { 1.0 };
        match self.next() {
            Some(Tok::Str(s)) if !negative => Ok(Literal::Str(s)),
            Some(Tok::Num(n)) => Ok(Literal::Num(sign * n)),
            Some(Tok::Time(at)) if !negative => Ok(Literal::Time(at)),
            Some(Tok::Ident(word)) if !negative => match word.to_ascii_lowercase().as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                "null" => Ok(Literal::Null),
                "ago" => {
                    self.expect_symbol("(")?;
                    let span = self.span()?;
                    self.expect_symbol(")")?;
                    Ok(Literal::Time(self.now - span))
                }
                "now" => {
                    self.expect_symbol("(")?;
                    let offset = if self.is_symbol(")") {
                        Duration::zero()
                    } else {
                        let negative = self.eat_symbol("-");
                        let span = self.span()?;
                        if negative {
                            -span
                        } else {
                            span
                        }
                    };
                    self.expect_symbol(")")?;
                    Ok(Literal::Time(self.now + offset))
                }
                _ => {
                    self.at -= 1;
                    Err(self.unsupported_here(format!(
                        "'{word}' is not a literal the simulator understands"
                    )))
                }
            },
            _ => {
                self.at = self.at.saturating_sub(1);
                Err(self.error_here("expected a literal"))
            }
        }
    }

    fn span(&mut self) -> Result<Duration, QueryError> {
        match self.next() {
            Some(Tok::Span(span)) => Ok(span),
            _ => {
                self.at -= 1;
                Err(self.error_here("expected a timespan such as 1d, 12h or 30m"))
            }
        }
    }

    fn expr(&mut self, schema: &[(String, ColumnType)]) -> Result<Expr, QueryError> {
        let mut left = self.and_expr(schema)?;
        while self.eat_keyword("or") {
            let right = self.and_expr(schema)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, schema: &[(String, ColumnType)]) -> Result<Expr, QueryError> {
        let mut left = self.unary(schema)?;
        while self.eat_keyword("and") {
            let right = self.unary(schema)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, schema: &[(String, ColumnType)]) -> Result<Expr, QueryError> {
        if self.eat_symbol("(") {
            let inner = self.expr(schema)?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        if self.is_keyword("not") && self.peek_at(1) == Some(&Tok::Sym("(")) {
            self.at += 2;
            let inner = self.expr(schema)?;
            self.expect_symbol(")")?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        for (function, empty, null) in [
            ("isempty", Some(true), None),
            ("isnotempty", Some(false), None),
            ("isnull", None, Some(true)),
            ("isnotnull", None, Some(false)),
        ] {
            if self.is_keyword(function) && self.peek_at(1) == Some(&Tok::Sym("(")) {
                self.at += 2;
                let operand = self.operand(schema)?;
                self.expect_symbol(")")?;
                return Ok(match (empty, null) {
                    (Some(empty), _) => Expr::IsEmpty(operand, empty),
                    (_, Some(null)) => Expr::IsNull(operand, null),
                    _ => unreachable!(),
                });
            }
        }
        let operand = self.operand(schema)?;
        self.predicate(operand)
    }

    fn predicate(&mut self, operand: Operand) -> Result<Expr, QueryError> {
        let op = match self.next() {
            Some(Tok::Sym("==")) => Op::Eq,
            Some(Tok::Sym("!=")) => Op::NotEq,
            Some(Tok::Sym("=~")) => Op::EqTilde,
            Some(Tok::Sym("!~")) => Op::NotEqTilde,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=")) => Op::Ge,
            Some(Tok::Sym("!")) => match self.next() {
                Some(Tok::Ident(word)) => return self.word_predicate(operand, &word, true),
                _ => {
                    self.at -= 1;
                    return Err(self.error_here("expected an operator after '!'"));
                }
            },
            Some(Tok::Ident(word)) => return self.word_predicate(operand, &word, false),
            _ => {
                self.at = self.at.saturating_sub(1);
                return Err(self.error_here("expected a comparison operator"));
            }
        };
        let literal = self.literal()?;
        Ok(Expr::Compare(operand, op, literal))
    }

    fn word_predicate(
        &mut self,
        operand: Operand,
        word: &str,
        negated: bool,
    ) -> Result<Expr, QueryError> {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "in" => {
                let case_insensitive = self.eat_symbol("~");
                self.expect_symbol("(")?;
                let mut list = vec![self.literal()?];
                while self.eat_symbol(",") {
                    list.push(self.literal()?);
                }
                self.expect_symbol(")")?;
                Ok(Expr::In {
                    operand,
                    list,
                    case_insensitive,
                    negated,
                })
            }
            "between" => {
                self.expect_symbol("(")?;
                let low = self.literal()?;
                self.expect_symbol("..")?;
                let high = self.literal()?;
                self.expect_symbol(")")?;
                Ok(Expr::Between {
                    operand,
                    low,
                    high,
                    negated,
                })
            }
            "contains" | "contains_cs" | "has" | "has_cs" | "startswith" | "startswith_cs"
            | "endswith" | "endswith_cs" => {
                let case_sensitive = lower.ends_with("_cs");
                let op = match lower.trim_end_matches("_cs") {
                    "startswith" => Op::StartsWith {
                        negated,
                        case_sensitive,
                    },
                    "endswith" => Op::EndsWith {
                        negated,
                        case_sensitive,
                    },
                    _ => Op::Contains {
                        negated,
                        case_sensitive,
                    },
                };
                let literal = self.literal()?;
                Ok(Expr::Compare(operand, op, literal))
            }
            _ => {
                self.at -= 1;
                Err(self.unsupported_here(format!(
                    "the operator '{word}' is not supported by the simulator"
                )))
            }
        }
    }
}

/// Parses a query; `now` anchors `ago()` and `now()`.
pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Query, QueryError> {
    let tokens = tokenize(text)?;
    let end_position = tokens
        .last()
        .map(|t| (t.line, t.position + t.text.chars().count()))
        .unwrap_or((1, 0));
    let fingerprint = {
        let mut hasher = Sha256::new();
        for token in &tokens {
            hasher.update(token.text.as_bytes());
            hasher.update([0u8]);
        }
        hasher.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut parser = Parser {
        tokens,
        at: 0,
        now,
        end_position,
    };
    let operators = ["where", "project", "order", "sort", "limit", "take"];
    let (table, mut first_without_pipe) = match parser.peek().cloned() {
        None => return Err(parser.error_here("the query is empty")),
        Some(Tok::Ident(word)) => match word.to_ascii_lowercase().as_str() {
            "resources" => {
                parser.at += 1;
                (Table::Resources, false)
            }
            "resourcechanges" => {
                parser.at += 1;
                (Table::ResourceChanges, false)
            }
            w if operators.contains(&w) => (Table::Resources, true),
            _ => {
                return Err(parser.unsupported_here(format!(
                    "The name '{word}' does not refer to any known table, tabular variable or function; the simulator knows resources and resourcechanges"
                )))
            }
        },
        Some(_) => return Err(parser.error_here("expected a table name")),
    };
    let mut schema: Vec<(String, ColumnType)> = COLUMNS
        .iter()
        .map(|(name, kind)| ((*name).to_owned(), *kind))
        .collect();
    let mut stages = Vec::new();
    let mut has_limit = false;
    let mut sort_descending = Vec::new();
    while parser.peek().is_some() || first_without_pipe {
        if !first_without_pipe {
            parser.expect_symbol("|")?;
        }
        first_without_pipe = false;
        let keyword_at = parser.at;
        let keyword = parser.identifier()?.to_ascii_lowercase();
        match keyword.as_str() {
            "where" => {
                let expr = parser.expr(&schema)?;
                stages.push(Stage::Where(expr));
            }
            "project" => {
                let mut columns: Vec<(String, Operand)> = Vec::new();
                let mut unnamed = 0;
                loop {
                    let alias = match (parser.peek().cloned(), parser.peek_at(1)) {
                        (Some(Tok::Ident(name)), Some(Tok::Sym("="))) => {
                            parser.at += 2;
                            Some(name)
                        }
                        _ => None,
                    };
                    let operand = parser.operand(&schema)?;
                    let name = match alias {
                        Some(name) => name,
                        None if operand.conversion != Conversion::None => {
                            unnamed += 1;
                            format!("Column{unnamed}")
                        }
                        None => std::iter::once(operand.column.clone())
                            .chain(operand.path.iter().map(|segment| match segment {
                                Segment::Key(key) => key.clone(),
                                Segment::Index(index) => index.to_string(),
                            }))
                            .collect::<Vec<_>>()
                            .join("_"),
                    };
                    if columns.iter().any(|(existing, _)| *existing == name) {
                        return Err(
                            parser.error_here(format!("the column '{name}' is projected twice"))
                        );
                    }
                    columns.push((name, operand));
                    if !parser.eat_symbol(",") {
                        break;
                    }
                }
                schema = columns
                    .iter()
                    .map(|(name, operand)| {
                        let kind = match operand.conversion {
                            Conversion::ToDateTime => ColumnType::DateTime,
                            Conversion::ToString | Conversion::ToLower | Conversion::ToUpper => {
                                ColumnType::String
                            }
                            Conversion::None if operand.path.is_empty() => schema
                                .iter()
                                .find(|(n, _)| *n == operand.column)
                                .map(|(_, kind)| *kind)
                                .unwrap_or(ColumnType::Object),
                            Conversion::None => ColumnType::Object,
                        };
                        (name.clone(), kind)
                    })
                    .collect();
                stages.push(Stage::Project(columns));
            }
            "order" | "sort" => {
                if !parser.eat_keyword("by") {
                    return Err(parser.error_here("expected 'by'"));
                }
                let mut keys = Vec::new();
                loop {
                    let operand = parser.operand(&schema)?;
                    let descending = if parser.eat_keyword("asc") {
                        false
                    } else {
                        // KQL sorts descending unless told otherwise.
                        parser.eat_keyword("desc");
                        true
                    };
                    if parser.eat_keyword("nulls")
                        && !(parser.eat_keyword("first") || parser.eat_keyword("last"))
                    {
                        return Err(parser.error_here("expected 'first' or 'last'"));
                    }
                    keys.push((operand, descending));
                    if !parser.eat_symbol(",") {
                        break;
                    }
                }
                sort_descending = keys.iter().map(|(_, d)| *d).collect();
                stages.push(Stage::Order(keys));
            }
            "limit" | "take" => match parser.next() {
                Some(Tok::Num(n)) if n >= 0.0 && n.fract() == 0.0 => {
                    has_limit = true;
                    stages.push(Stage::Limit(n as usize));
                }
                _ => {
                    parser.at -= 1;
                    return Err(parser.error_here("expected a row count"));
                }
            },
            _ => {
                parser.at = keyword_at;
                return Err(parser.unsupported_here(format!(
                    "the operator '{keyword}' is not supported by the simulator"
                )));
            }
        }
        if parser.peek().is_some() && !parser.is_symbol("|") {
            return Err(parser.error_here("expected '|' or the end of the query"));
        }
    }
    Ok(Query {
        table,
        stages,
        columns: schema,
        has_limit,
        sort_descending,
        fingerprint,
    })
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// A value as comparisons see it.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Str(String),
    Num(f64),
    Bool(bool),
    Time(DateTime<Utc>),
    Dynamic(Value),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Null => String::new(),
            Scalar::Str(s) => s.clone(),
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Time(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            Scalar::Dynamic(v) => v.to_string(),
        }
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Scalar::Time(at) => Some(*at),
            Scalar::Str(s) => parse_datetime(s),
            _ => None,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Scalar::Num(n) => Some(*n),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Str(s) => Value::String(s.clone()),
            Scalar::Num(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Time(at) => Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Scalar::Dynamic(v) => v.clone(),
        }
    }
}

fn lookup<'a>(row: &'a Map<String, Value>, operand: &Operand) -> Option<&'a Value> {
    let mut value = row.get(&operand.column)?;
    for segment in &operand.path {
        value = match segment {
            Segment::Key(key) => value.get(key.as_str())?,
            Segment::Index(index) => value.get(*index)?,
        };
    }
    Some(value)
}

fn evaluate(row: &Map<String, Value>, operand: &Operand) -> Scalar {
    let raw = match lookup(row, operand) {
        None | Some(Value::Null) => Scalar::Null,
        Some(Value::String(s)) => Scalar::Str(s.clone()),
        Some(Value::Number(n)) => n.as_f64().map(Scalar::Num).unwrap_or(Scalar::Null),
        Some(Value::Bool(b)) => Scalar::Bool(*b),
        Some(other) => Scalar::Dynamic(other.clone()),
    };
    match operand.conversion {
        Conversion::None => raw,
        Conversion::ToDateTime => raw.time().map(Scalar::Time).unwrap_or(Scalar::Null),
        Conversion::ToString => Scalar::Str(raw.text()),
        Conversion::ToLower => Scalar::Str(raw.text().to_lowercase()),
        Conversion::ToUpper => Scalar::Str(raw.text().to_uppercase()),
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Str(s) => s.clone(),
        Literal::Num(n) => n.to_string(),
        Literal::Bool(b) => b.to_string(),
        Literal::Time(at) => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Literal::Null => String::new(),
    }
}

/// Orders a value against a literal: datetimes and numbers by value, the rest as text.
fn order_against(value: &Scalar, literal: &Literal) -> Option<Ordering> {
    match literal {
        Literal::Time(at) => value.time().map(|v| v.cmp(at)),
        Literal::Num(n) => value.number().and_then(|v| v.partial_cmp(n)),
        Literal::Null => None,
        Literal::Bool(b) => match value {
            Scalar::Bool(v) => Some(v.cmp(b)),
            Scalar::Str(s) => s.parse::<bool>().ok().map(|v| v.cmp(b)),
            _ => None,
        },
        Literal::Str(s) => match value {
            Scalar::Null => None,
            other => Some(other.text().as_str().cmp(s.as_str())),
        },
    }
}

fn equals(value: &Scalar, literal: &Literal, case_insensitive: bool) -> bool {
    match literal {
        Literal::Null => *value == Scalar::Null,
        Literal::Str(s) if case_insensitive => value.text().to_lowercase() == s.to_lowercase(),
        Literal::Str(s) => value.text() == *s,
        _ => order_against(value, literal) == Some(Ordering::Equal),
    }
}

fn matches(row: &Map<String, Value>, expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) => matches(row, a) && matches(row, b),
        Expr::Or(a, b) => matches(row, a) || matches(row, b),
        Expr::Not(inner) => !matches(row, inner),
        Expr::IsEmpty(operand, empty) => {
            let value = evaluate(row, operand);
            let is_empty = value == Scalar::Null || value.text().is_empty();
            is_empty == *empty
        }
        Expr::IsNull(operand, null) => (evaluate(row, operand) == Scalar::Null) == *null,
        Expr::Compare(operand, op, literal) => {
            let value = evaluate(row, operand);
            let text_op = |negated: bool, case_sensitive: bool, test: fn(&str, &str) -> bool| {
                let (mut haystack, mut needle) = (value.text(), literal_text(literal));
                if !case_sensitive {
                    haystack = haystack.to_lowercase();
                    needle = needle.to_lowercase();
                }
                test(&haystack, &needle) != negated
            };
            match *op {
                Op::Eq => equals(&value, literal, false),
                Op::NotEq => !equals(&value, literal, false),
                Op::EqTilde => equals(&value, literal, true),
                Op::NotEqTilde => !equals(&value, literal, true),
                Op::Contains {
                    negated,
                    case_sensitive,
                } => text_op(negated, case_sensitive, |h, n| h.contains(n)),
                Op::StartsWith {
                    negated,
                    case_sensitive,
                } => text_op(negated, case_sensitive, |h, n| h.starts_with(n)),
                Op::EndsWith {
                    negated,
                    case_sensitive,
                } => text_op(negated, case_sensitive, |h, n| h.ends_with(n)),
                Op::Lt => order_against(&value, literal) == Some(Ordering::Less),
                Op::Le => matches!(
                    order_against(&value, literal),
                    Some(Ordering::Less | Ordering::Equal)
                ),
                Op::Gt => order_against(&value, literal) == Some(Ordering::Greater),
                Op::Ge => matches!(
                    order_against(&value, literal),
                    Some(Ordering::Greater | Ordering::Equal)
                ),
            }
        }
        Expr::In {
            operand,
            list,
            case_insensitive,
            negated,
        } => {
            let value = evaluate(row, operand);
            list.iter()
                .any(|literal| equals(&value, literal, *case_insensitive))
                != *negated
        }
        Expr::Between {
            operand,
            low,
            high,
            negated,
        } => {
            let value = evaluate(row, operand);
            let inside = matches!(
                order_against(&value, low),
                Some(Ordering::Greater | Ordering::Equal)
            ) && matches!(
                order_against(&value, high),
                Some(Ordering::Less | Ordering::Equal)
            );
            inside != *negated
        }
    }
}

/// Orders two cell values the way `order by` does: nulls, then booleans, numbers and text.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            _ => 4,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Orders rows by their sort keys (each ascending or descending), then by id: the total order
/// paging is keyed on.
pub fn compare_keys(
    descending: &[bool],
    a_key: &[Value],
    a_id: &str,
    b_key: &[Value],
    b_id: &str,
) -> Ordering {
    for (i, desc) in descending.iter().enumerate() {
        let (x, y) = (
            a_key.get(i).unwrap_or(&Value::Null),
            b_key.get(i).unwrap_or(&Value::Null),
        );
        let ordering = compare_values(x, y);
        let ordering = if *desc { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    a_id.cmp(b_id)
}

/// A stored record as a row of the table: its sixteen columns, with strings never null.
fn to_row(record: &Value) -> Row {
    let mut values = Map::new();
    for (name, kind) in COLUMNS {
        let value = record.get(name).cloned().unwrap_or(Value::Null);
        let value = match (kind, value) {
            (ColumnType::String, Value::Null) => Value::String(String::new()),
            (_, value) => value,
        };
        values.insert(name.to_owned(), value);
    }
    Row {
        id_key: record["id"].as_str().unwrap_or_default().to_lowercase(),
        values,
        sort_key: Vec::new(),
    }
}

impl Query {
    /// Runs the query over the records of its table (any order) and returns the result rows in
    /// their final order.
    /// Whether the query only projects and limits: then rows keep the stored order (by id) and
    /// only the rows of the page asked for need to be built.
    pub fn pages_lazily(&self) -> bool {
        self.stages
            .iter()
            .all(|stage| matches!(stage, Stage::Project(_) | Stage::Limit(_)))
    }

    /// The smallest `limit`/`take` of the query, if any.
    pub fn limit(&self) -> Option<usize> {
        self.stages
            .iter()
            .filter_map(|stage| match stage {
                Stage::Limit(n) => Some(*n),
                _ => None,
            })
            .min()
    }

    /// Builds one row of a lazily paged query: the record's columns, then the projections.
    pub fn build_row(&self, record: &Value) -> Row {
        let mut row = to_row(record);
        for stage in &self.stages {
            if let Stage::Project(columns) = stage {
                row.values = columns
                    .iter()
                    .map(|(name, operand)| {
                        (name.clone(), evaluate(&row.values, operand).to_value())
                    })
                    .collect();
            }
        }
        row
    }

    pub fn run<'a>(&self, records: impl Iterator<Item = &'a Value>) -> Vec<Row> {
        // Leading filters run on the stored records, so that only matches are copied.
        let leading: Vec<&Expr> = self
            .stages
            .iter()
            .map_while(|stage| match stage {
                Stage::Where(expr) => Some(expr),
                _ => None,
            })
            .collect();
        let mut rows: Vec<Row> = records
            .map(to_row)
            .filter(|row| leading.iter().all(|expr| matches(&row.values, expr)))
            .collect();
        rows.sort_by(|a, b| a.id_key.cmp(&b.id_key));
        for stage in &self.stages[leading.len()..] {
            match stage {
                Stage::Where(expr) => rows.retain(|row| matches(&row.values, expr)),
                Stage::Project(columns) => {
                    for row in &mut rows {
                        let projected: Map<String, Value> = columns
                            .iter()
                            .map(|(name, operand)| {
                                (name.clone(), evaluate(&row.values, operand).to_value())
                            })
                            .collect();
                        row.values = projected;
                    }
                }
                Stage::Order(keys) => {
                    for row in &mut rows {
                        row.sort_key = keys
                            .iter()
                            .map(|(operand, _)| evaluate(&row.values, operand).to_value())
                            .collect();
                    }
                    let descending: Vec<bool> = keys.iter().map(|(_, d)| *d).collect();
                    rows.sort_by(|a, b| {
                        compare_keys(&descending, &a.sort_key, &a.id_key, &b.sort_key, &b.id_key)
                    });
                }
                Stage::Limit(n) => rows.truncate(*n),
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2024-06-01T12:00:00Z".parse().unwrap()
    }

    fn records() -> Vec<Value> {
        vec![
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/b", "name": "b", "type": "microsoft.storage/storageaccounts", "kind": null, "tags": {"environment": "prod"}, "properties": {"changeAttributes": {"timestamp": "2024-06-01T11:00:00.000000Z"}}}),
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a", "name": "a", "type": "microsoft.web/sites", "kind": "app", "tags": {"environment": "dev"}, "properties": {"changeAttributes": {"timestamp": "2024-05-01T11:00:00Z"}}}),
            json!({"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/c", "name": "c", "type": "microsoft.keyvault/vaults", "tags": null, "properties": {}}),
        ]
    }

    fn names(query: &str) -> Vec<String> {
        let records = records();
        parse(query, now())
            .unwrap()
            .run(records.iter())
            .into_iter()
            .map(|row| row.values["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn filters_and_orders() {
        assert_eq!(names("resources"), ["c", "b", "a"]);
        assert_eq!(
            names("Resources | where type =~ 'Microsoft.Storage/storageAccounts'"),
            ["b"]
        );
        assert_eq!(
            names("resources\n| where type in~ ('MICROSOFT.WEB/SITES', 'microsoft.keyvault/vaults')\n| order by name asc"),
            ["a", "c"]
        );
        assert_eq!(names("resources | order by name"), ["c", "b", "a"]);
        assert_eq!(
            names("where tags.environment == 'prod' or name == 'c'"),
            ["c", "b"]
        );
        assert_eq!(names("resources | where kind == ''"), ["c", "b"]);
        assert_eq!(
            names("resources | where not(name startswith 'a') | take 1"),
            ["c"]
        );
        assert_eq!(
            names("resources | project name, id | where name !in ('a')"),
            ["c", "b"]
        );
    }

    #[test]
    fn compares_datetimes() {
        assert_eq!(
            names("resources | where properties.changeAttributes.timestamp > ago(1d)"),
            ["b"]
        );
        assert_eq!(
            names("resources | where todatetime(properties.changeAttributes.timestamp) between (datetime(2024-04-01) .. datetime('2024-05-02T00:00:00Z'))"),
            ["a"]
        );
        assert_eq!(
            names("resources | where properties.changeAttributes.timestamp >= datetime(2024-05-01T11:00:00.0000000Z) | order by id asc"),
            ["b", "a"]
        );
    }

    #[test]
    fn projects_columns() {
        let records = records();
        let query = parse(
            "resources | project id, name, env = tags.environment, tags.environment",
            now(),
        )
        .unwrap();
        let rows = query.run(records.iter());
        let names: Vec<&str> = query.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["id", "name", "env", "tags_environment"]);
        assert_eq!(rows[1].values["env"], "prod");
        assert_eq!(rows[1].values.len(), 4);
    }

    #[test]
    fn refuses_what_it_does_not_run() {
        for query in [
            "resources | summarize count() by type",
            "resourcecontainers",
            "resources | where",
            "resources | where nosuchcolumn == 'x'",
            "resources | project name | where id == 'x'",
            "resources | where name == 'x",
            "resources | extend x = 1",
            "resources where name == 'x'",
            "",
        ] {
            assert!(parse(query, now()).is_err(), "{query}");
        }
        let error = parse("resources | summarize count()", now()).unwrap_err();
        assert_eq!(error.code, "InvalidQueryLanguage");
        assert_eq!(error.token, "summarize");
        assert_eq!((error.line, error.position), (1, 12));
    }
}
