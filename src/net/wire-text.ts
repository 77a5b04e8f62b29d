// Text that came from the LAN (a DHCP host name or vendor class, mDNS names and models, service
// banners and page titles) as the appliance keeps and shows it. Anyone on the LAN chooses these bytes,
// so they lose every character that is invisible or moves text around: control characters, the bidi
// marks, embeddings and isolates that can make a name read backwards, line and paragraph separators
// that break a line where none is shown, zero-width and other invisible characters and the byte-order
// mark that hide inside a name that looks like another. Bytes that are not UTF-8 become U+FFFD, not
// Latin-1 letters a sender could choose to spell a look-alike.

// C0, DEL, C1; line and paragraph separators; interlinear annotation marks; and every
// default-ignorable code point (Unicode's own list of what renders as nothing: the bidi marks,
// embeddings, overrides and isolates, zero-width space and joiners, word joiner, BOM, but also the
// soft hyphen, the Hangul fillers, the combining grapheme joiner, variation selectors and tag
// characters, with which "annas-laptop" can be spelled to look like the owner's).
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/gu;

const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Bytes from the wire as printable text (invalid UTF-8 as U+FFFD), or null when nothing is left. */
export function wireText(bytes: Uint8Array): string | null {
  const s = utf8.decode(bytes).replace(INVISIBLE, "").trim();
  return s.length > 0 ? s : null;
}

/** A string already decoded, with the same characters removed. */
export function stripInvisible(s: string): string {
  return s.replace(INVISIBLE, "");
}
