//! STUB
#[derive(Clone, Debug)]
pub enum Value {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
    Function(u32),
}
pub struct Options {
    pub hash: Vec<(String, Value)>,
}
pub trait Scope {
    fn call(&self, id: u32, args: &[Value], options: Option<&Options>) -> Result<Value, String>;
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);
pub fn render(src: &str, _root: &Value, _s: &dyn Scope) -> Result<String, TemplateError> {
    Ok(src.to_owned())
}
pub fn is_raw_statement(src: &str) -> bool {
    src == "{{raw}}"
}
pub fn js_to_string(_v: &Value) -> String {
    String::new()
}
