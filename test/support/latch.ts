/** A gate a test opens by hand: activities of a workflow-level test wait on it to hold the workflow at a chosen point. */
export interface Latch {
  /** Resolves once the latch is open. */
  wait(): Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

export function latch(): Latch {
  let release: () => void = () => undefined;
  let opened = false;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return {
    wait: () => gate,
    open() {
      opened = true;
      release();
    },
    get isOpen() {
      return opened;
    },
  };
}
