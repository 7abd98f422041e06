// Location and identity encodings shared by GTPv1-C and GTPv2-C.

export interface Plmn {
  mcc: string;
  mnc: string;
}

/** Cell Global Identity (GERAN/UTRAN): PLMN + LAC + CI. */
export interface Cgi extends Plmn {
  lac: number;
  ci: number;
}

/** LTE location: tracking area and E-UTRAN cell (28-bit ECI). */
export interface EutranLocation extends Plmn {
  tac: number;
  eci: number;
}

/** Canonical text of an E-UTRAN cell, as the knowledge base stores `cell`: MCC-MNC-TAC-ECI. */
export function ecgiText(l: EutranLocation): string {
  return `${l.mcc}-${l.mnc}-${l.tac}-${l.eci}`;
}
