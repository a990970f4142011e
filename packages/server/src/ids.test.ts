import { describe, expect, it } from "vitest";
import { newEventId, newId } from "./ids.js";

describe("ids", () => {
  it("names what they identify, with 96 random bits in hex", () => {
    expect(newId("grant")).toMatch(/^grant_[0-9a-f]{24}$/);
    expect(newEventId()).toMatch(/^evt_[0-9a-f]{24}$/);
  });

  it("event ids stay distinct across many refills of their random pool", () => {
    const ids = Array.from({ length: 5000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{24}$/);
  });
});
