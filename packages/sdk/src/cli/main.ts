import { parseArgs } from "node:util";
import { connectCommand, EXIT } from "./connect-command.js";

const USAGE = `Usage: grantvault <command> [options]

Commands:
  connect                 connect an account (opens your browser, or prints a link and QR code)

Options for connect:
  --provider ID           a provider to offer (repeat for several; default: all the vault has)
  --no-browser            do not open a browser; print the link (and a QR code) only
  --timeout SECONDS       how long to wait for you (default 300)
  --ttl SECONDS           the grant expires after this long (default: never)
  --url URL               the vault (default GRANTVAULT_URL, else http://127.0.0.1:7400)
  --json                  print the result as JSON
  -h, --help              show this help

The API key comes from GRANTVAULT_API_KEY.
Exit codes: 0 connected, 1 failed, 2 usage, 3 denied, 4 timed out, 5 provider misconfigured.
`;

/** The end-user CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    process.stderr.write(`grantvault: ${(error as Error).message}\nRun \`grantvault --help\` for usage.\n`);
    return EXIT.usage;
  }
  const [command] = positionals;
  if (values.help || command === undefined || command === "help") {
    process.stdout.write(USAGE);
    return values.help || command === "help" ? EXIT.ok : EXIT.usage;
  }
  if (command !== "connect") {
    process.stderr.write(`grantvault: unknown command "${command}"\nRun \`grantvault --help\` for usage.\n`);
    return EXIT.usage;
  }
  const timeoutSeconds = values.timeout === undefined ? 300 : Number(values.timeout);
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    process.stderr.write("grantvault: --timeout must be a positive number of seconds\n");
    return EXIT.usage;
  }
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < 60)) {
    process.stderr.write("grantvault: --ttl must be a whole number of seconds, at least 60\n");
    return EXIT.usage;
  }
  if (!process.env.GRANTVAULT_API_KEY) {
    process.stderr.write(
      "grantvault: set GRANTVAULT_API_KEY to an API key of your vault (`grantvault-server apps create` prints one)\n",
    );
    return EXIT.usage;
  }
  return connectCommand({
    providers: values.provider ?? [],
    browser: !values["no-browser"],
    timeoutSeconds,
    ttlSeconds,
    json: values.json === true,
    url: values.url,
  });
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      provider: { type: "string", multiple: true },
      "no-browser": { type: "boolean" },
      timeout: { type: "string" },
      ttl: { type: "string" },
      url: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
