# bench/run.d/listing.sh, sourced by bench/run: the listing row (issue 11). An organisation of N plain folders with two
# small objects each, as other tools upload them (PUT with curl, no manifest), walked with `find -type f` through our
# mount, s3fs and rclone: cold (fresh mount, caches dropped) and warm (the same pass again, at once, same mount).
LISTING_ORG=listing

seed_listing() { # seed_listing N
  log "listing: $1 plain models x 2 objects under ${HCP_PREFIX}$LISTING_ORG/ (curl PUTs)"
  head -c 700 /dev/urandom > "$SCRATCH/listing-config.json"
  head -c 3000 /dev/urandom > "$SCRATCH/listing-weights.bin"
  seq -f '%04g' 1 "$1" | URL="$S3_ENDPOINT/$S3_BUCKET/${HCP_PREFIX}$LISTING_ORG" DIR="$SCRATCH" xargs -P 16 -I{} bash -c '
    for f in config.json=listing-config.json model.safetensors=listing-weights.bin; do
      curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
        --user "$S3_ACCESS_KEY_ID:$S3_SECRET_ACCESS_KEY" -T "$DIR/${f#*=}" -o /dev/null "$URL/model-{}/${f%%=*}" || exit 255
    done' || die "listing: seeding the plain models"
}

# Requests RGW's access log shows so far (GET, HEAD: LISTs included), or "" when the log has none of our lines.
store_requests() {
  local n
  [ -f "$RGW_LOG" ] || { echo ""; return 0; }
  n=$(grep -cE "\"(GET|HEAD) /$S3_BUCKET[/? ]" "$RGW_LOG" || true)
  [ "${n:-0}" -gt 0 ] && echo "$n" || echo ""
}

timed_find() { # timed_find CONTENDER cold|warm DIR: seconds of `find DIR -type f`, which must list every object
  local t0 t1 n
  t0=$(now_ns); n=$(find "$3" -type f | wc -l); t1=$(now_ns)
  [ "$n" = $(( 2 * LISTING_MODELS )) ] || die "listing: find through $1 listed $n files, expected $(( 2 * LISTING_MODELS ))"
  rec "$1" "listing_${2}_s" "$(awk -v d=$(( t1 - t0 )) 'BEGIN { printf "%.4f", d / 1e9 }')"
}

run_listing() {
  local r0 pass p
  log "listing: find -type f over $LISTING_MODELS plain models, cold and warm: our mount"
  ours_mount
  for pass in cold warm; do
    r0=$(store_requests)
    timed_find ours "$pass" "$MNT/$LISTING_ORG"
    # The access log is written as requests finish; settle briefly so the last LIST page is in it.
    sleep 0.5
    [ -n "$r0" ] && rec ours "listing_${pass}_requests" $(( $(store_requests) - r0 ))
  done
  ours_unmount
  for p in s3fs rclone-off; do
    [[ " ${PEERS[*]} " == *" $p "* ]] || continue
    log "listing: ${PEER_LABEL[$p]}"
    peer_mount "$p"
    for pass in cold warm; do timed_find "$p" "$pass" "$PEER_MNT/${HCP_PREFIX}$LISTING_ORG"; done
    peer_unmount
  done
}
