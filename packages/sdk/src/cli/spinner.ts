/** A one-line progress indicator on a terminal; a single static line elsewhere (logs, pipes). */
export class Spinner {
  static readonly #FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  #timer: NodeJS.Timeout | null = null;
  #frame = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(text: string): void {
    if (!this.stream.isTTY) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.#timer = setInterval(() => {
      const frame = Spinner.#FRAMES[this.#frame++ % Spinner.#FRAMES.length];
      this.stream.write(`\r${frame} ${text}`);
    }, 100);
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.stream.write("\r\x1b[2K");
  }
}
