/**
 * Who may use a wall — see it, join its room, change its tiles: the users of the wall's owner org,
 * and no one else (deny by default; there is no cross-org or admin override). A wall belongs to
 * the org of the user who created it.
 *
 * Using a wall is not seeing its cameras: every camera put on a wall must be readable
 * (`catalog:read`) by the user who puts it there, and every live view of a tile is decided again
 * for the viewer (`live:view`, POST /api/cameras/:id/live). A colleague with a lower clearance sees
 * the tile's camera id but gets no video from it.
 */
export function mayUseWall(user: { orgId: string }, wall: { ownerOrgId: string }): boolean {
  return typeof user.orgId === 'string' && user.orgId.length > 0 && user.orgId === wall.ownerOrgId;
}
