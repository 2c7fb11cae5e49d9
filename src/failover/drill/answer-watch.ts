/**
 * Polls a lookup every few milliseconds and records when its answer changes: used to time how
 * soon DNS (or the tables) answer a new writer after it accepts writes.
 */
export class AnswerWatch {
  readonly changes: { at: number; answer: string }[] = [];
  private last = '';
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly lookup: () => Promise<string>,
    private readonly everyMs = 2,
  ) {}

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        const answer = await this.lookup().catch(() => '');
        if (answer !== '' && answer !== this.last) {
          this.changes.push({ at: Date.now(), answer });
          this.last = answer;
        }
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    })();
  }

  /** When the answer first became `answer` at or after `since`. */
  firstAt(answer: string, since: number): number | undefined {
    return this.changes.find((c) => c.answer === answer && c.at >= since)?.at;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}
