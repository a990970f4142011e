/**
 * Just enough HTML form handling to submit the forms of the vault's Connect page and of
 * node-oidc-provider's devInteractions pages like a browser would. Both are server-rendered,
 * well-formed and without nested forms, so tag-level scanning is reliable here (it is not a
 * general HTML parser).
 */
export interface HtmlForm {
  /** The `action` attribute, entity-decoded and resolved against the page URL. */
  action: URL;
  method: "GET" | "POST";
  /** Named `<input>` elements, in document order (submit buttons are submitters, not fields). */
  inputs: HtmlControl[];
  /** `<button>` elements; a form is submitted by one of them. */
  buttons: HtmlControl[];
}

/** An `<input>` or `<button>`: its attributes, names lower-cased, values entity-decoded. */
export type HtmlControl = Record<string, string>;

export function parseForms(html: string, pageUrl: URL): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi)].map(
    ([, attributeText = "", inner = ""]) => {
      const attributes = parseAttributes(attributeText);
      return {
        action: new URL(attributes.action ?? "", pageUrl),
        method: attributes.method?.toUpperCase() === "POST" ? "POST" : "GET",
        inputs: tags(inner, "input").filter(
          (input) => input.name !== undefined && input.type !== "submit" && input.type !== "button",
        ),
        buttons: tags(inner, "button"),
      };
    },
  );
}

/**
 * The body a browser sends when `submitter` submits `form`: each named input's value (or its
 * `fill`ed one), then the submitter's own name=value.
 */
export function formBody(
  form: HtmlForm,
  fill: Record<string, string> = {},
  submitter?: HtmlControl,
): URLSearchParams {
  const body = new URLSearchParams();
  for (const input of form.inputs) {
    const name = input.name as string;
    body.append(name, Object.hasOwn(fill, name) ? (fill[name] as string) : (input.value ?? ""));
  }
  if (submitter?.name !== undefined) body.append(submitter.name, submitter.value ?? "");
  return body;
}

/** The hidden input `name`'s value in `form`, if any (devInteractions marks its forms with `prompt`). */
export function hiddenValue(form: HtmlForm, name: string): string | undefined {
  return form.inputs.find((input) => input.type === "hidden" && input.name === name)?.value;
}

function tags(html: string, tagName: string): HtmlControl[] {
  return [...html.matchAll(new RegExp(`<${tagName}\\b([^>]*)>`, "gi"))].map(([, attributeText = ""]) =>
    parseAttributes(attributeText),
  );
}

function parseAttributes(text: string): HtmlControl {
  const attributes: HtmlControl = {};
  for (const match of text.matchAll(/([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const [, name = "", doubleQuoted, singleQuoted, unquoted] = match;
    const key = name.toLowerCase();
    // The first occurrence of an attribute wins, as in browsers.
    if (!Object.hasOwn(attributes, key)) {
      attributes[key] = decodeEntities(doubleQuoted ?? singleQuoted ?? unquoted ?? "");
    }
  }
  return attributes;
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes the entities the two page generators emit: the five named ones and numeric references. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === "#") {
      const code =
        body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}
