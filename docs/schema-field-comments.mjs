// TypeDoc plugin: a config type declared as `Decoded<typeof schema>` (with `@interface`) lists the
// schema's keys as properties. Their documentation is the `doc` string each field already carries for
// the config reference, so it is taken from there (with the field's default) instead of being written
// a second time as a TSDoc comment that could drift from it.
import { Comment, Converter, ReflectionKind } from "typedoc";
import ts from "typescript";

/** The field's `doc` text plus its default, or undefined when the declaration is not a schema field. */
function fieldText(field, checker) {
  const properties = new Map();
  for (const property of field.properties) {
    if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name)) properties.set(property.name.text, property.initializer);
  }
  const doc = properties.get("doc");
  const type = properties.get("type");
  if (doc === undefined || type === undefined || !ts.isStringLiteralLike(type)) return undefined;
  const text = checker.getTypeAtLocation(doc);
  let result = text.isStringLiteral() ? text.value : doc.getText();
  const fallback = properties.get("default");
  if (fallback !== undefined) {
    const value = ts.isIdentifier(fallback) ? checker.typeToString(checker.getTypeAtLocation(fallback)) : fallback.getText();
    result += ` Default: \`${value}\`${type.text === "duration" ? " (milliseconds)" : ""}.`;
  }
  return result;
}

/** The `doc` of a field built by a helper call (e.g. the `properties` tables), read from its type. */
function builtFieldText(initializer, checker) {
  const doc = checker.getTypeAtLocation(initializer).getProperty("doc");
  if (doc === undefined) return undefined;
  const text = checker.getTypeOfSymbolAtLocation(doc, initializer);
  return text.isStringLiteral() ? text.value : undefined;
}

export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (!reflection.kindOf(ReflectionKind.Property) || reflection.hasComment()) return;
    const declaration = context.getSymbolFromReflection(reflection)?.declarations?.[0];
    if (declaration === undefined || !ts.isPropertyAssignment(declaration)) return;
    const text = ts.isObjectLiteralExpression(declaration.initializer)
      ? fieldText(declaration.initializer, context.checker)
      : builtFieldText(declaration.initializer, context.checker);
    if (text !== undefined) reflection.comment = new Comment([{ kind: "text", text }]);
  });
}
