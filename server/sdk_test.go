package server

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openai/openai-go/v3"
)

// The official OpenAI Go SDK as the client: if it accepts the responses,
// so will the tools built on it.

func chatParams(maxTokens int64, seed int64) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model: testModel,
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You answer briefly."),
			openai.UserMessage("Tell me about the sea."),
		},
		MaxTokens:   openai.Int(maxTokens),
		Seed:        openai.Int(seed),
		Temperature: openai.Float(0.8),
	}
}

func TestChatCompletion(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	params := chatParams(12, 7)
	got, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.ID, "chatcmpl-") || got.Object != "chat.completion" || got.Model != testModel || got.Created == 0 {
		t.Errorf("head: id %q, object %q, model %q, created %d", got.ID, got.Object, got.Model, got.Created)
	}
	if len(got.Choices) != 1 {
		t.Fatalf("%d choices, want 1", len(got.Choices))
	}
	choice := got.Choices[0]
	u := got.Usage
	if choice.Message.Role != "assistant" || choice.Index != 0 {
		t.Errorf("role %q, index %d", choice.Message.Role, choice.Index)
	}
	switch {
	case choice.FinishReason == "length" && u.CompletionTokens != 12,
		choice.FinishReason == "stop" && u.CompletionTokens >= 12,
		choice.FinishReason != "length" && choice.FinishReason != "stop":
		t.Errorf("finish_reason %q with %d completion tokens of at most 12", choice.FinishReason, u.CompletionTokens)
	}
	if u.PromptTokens < 10 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v", u)
	}

	// The same request streamed gives the same text, chunk by chunk in
	// the SDK's accumulator.
	params.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	var chunks []openai.ChatCompletionChunk
	for stream.Next() {
		chunk := stream.Current()
		chunks = append(chunks, chunk)
		if !acc.AddChunk(chunk) {
			t.Fatalf("the accumulator refused chunk %d: %s", len(chunks), chunk.RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 3 {
		t.Fatalf("%d chunks, want at least the role, a closing and a usage chunk", len(chunks))
	}
	first, closing, last := chunks[0], chunks[len(chunks)-2], chunks[len(chunks)-1]
	if first.Object != "chat.completion.chunk" || len(first.Choices) != 1 || first.Choices[0].Delta.Role != "assistant" {
		t.Errorf("first chunk %s: want the assistant role", first.RawJSON())
	}
	if len(closing.Choices) != 1 || closing.Choices[0].FinishReason != choice.FinishReason {
		t.Errorf("closing chunk %s: want finish_reason %q", closing.RawJSON(), choice.FinishReason)
	}
	if len(last.Choices) != 0 || last.Usage.TotalTokens != u.TotalTokens {
		t.Errorf("usage chunk %s: want no choices and total_tokens %d", last.RawJSON(), u.TotalTokens)
	}
	if text := acc.Choices[0].Message.Content; text != choice.Message.Content {
		t.Errorf("streamed text %q, not streamed %q", text, choice.Message.Content)
	}
	// The second run found the conversation in a slot: its prompt is
	// reused, but for the tokens whose logits are needed again.
	if cached := last.Usage.PromptTokensDetails.CachedTokens; cached < u.PromptTokens/2 || cached >= u.PromptTokens {
		t.Errorf("cached_tokens %d of %d: the repeated prompt was not reused", cached, u.PromptTokens)
	}
}

func TestChatLogprobs(t *testing.T) {
	s := sharedServer(t)
	params := chatParams(8, 3)
	params.Temperature = openai.Float(0) // greedy: each token is the most likely one
	params.Logprobs = openai.Bool(true)
	params.TopLogprobs = openai.Int(3)
	got, err := s.client(testKey).Chat.Completions.New(testContext(t), params)
	if err != nil {
		t.Fatal(err)
	}
	content := got.Choices[0].Logprobs.Content
	if int64(len(content)) != got.Usage.CompletionTokens {
		t.Fatalf("%d logprob entries for %d tokens", len(content), got.Usage.CompletionTokens)
	}
	for i, e := range content {
		if len(e.TopLogprobs) != 3 {
			t.Fatalf("token %d: %d top logprobs, want 3", i, len(e.TopLogprobs))
		}
		if !slices.IsSortedFunc(e.TopLogprobs, func(a, b openai.ChatCompletionTokenLogprobTopLogprob) int {
			return cmp.Compare(b.Logprob, a.Logprob)
		}) {
			t.Errorf("token %d: top logprobs not most likely first: %+v", i, e.TopLogprobs)
		}
		best := e.TopLogprobs[0]
		if e.Token != best.Token || math.Abs(e.Logprob-best.Logprob) > 1e-6 || e.Logprob > 0 {
			t.Errorf("token %d: greedy chose %q (%v), the most likely is %q (%v)", i, e.Token, e.Logprob, best.Token, best.Logprob)
		}
		if utf8.ValidString(e.Token) && string(bytesOf(e.Bytes)) != e.Token {
			t.Errorf("token %d: bytes %v do not spell %q", i, e.Bytes, e.Token)
		}
	}
}

func TestCompletionStreamAndLogprobs(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	params := openai.CompletionNewParams{
		Model:       openai.CompletionNewParamsModel(testModel),
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(10),
		Seed:        openai.Int(11),
		Temperature: openai.Float(0.9),
		Logprobs:    openai.Int(2),
	}
	got, err := c.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.ID, "cmpl-") || got.Object != "text_completion" || len(got.Choices) != 1 {
		t.Fatalf("response %s", got.RawJSON())
	}
	choice := got.Choices[0]
	lp := choice.Logprobs
	n := int(got.Usage.CompletionTokens)
	if len(lp.Tokens) != n || len(lp.TokenLogprobs) != n || len(lp.TopLogprobs) != n || len(lp.TextOffset) != n {
		t.Fatalf("logprobs for %d tokens: %s", n, choice.RawJSON())
	}
	offset := int64(0)
	for i, tok := range lp.Tokens {
		if lp.TextOffset[i] != offset || lp.TokenLogprobs[i] > 0 || len(lp.TopLogprobs[i]) == 0 || len(lp.TopLogprobs[i]) > 2 {
			t.Errorf("token %d %q: offset %d (want %d), logprob %v, top %v", i, tok, lp.TextOffset[i], offset, lp.TokenLogprobs[i], lp.TopLogprobs[i])
		}
		if v, ok := lp.TopLogprobs[i][tok]; ok && math.Abs(v-lp.TokenLogprobs[i]) > 1e-6 {
			t.Errorf("token %d %q: logprob %v, but %v among the top ones", i, tok, lp.TokenLogprobs[i], v)
		}
		offset += int64(len(tok))
	}
	if joined := strings.Join(lp.Tokens, ""); utf8.ValidString(choice.Text) && choice.FinishReason == "length" && joined != choice.Text {
		t.Errorf("tokens %q do not spell the text %q", lp.Tokens, choice.Text)
	}

	// Streamed, the text and the tokens arrive piece by piece.
	stream := c.Completions.NewStreaming(ctx, params)
	var text strings.Builder
	var tokens []string
	var finish string
	for stream.Next() {
		chunk := stream.Current()
		if chunk.Object != "text_completion" || chunk.ID == "" || len(chunk.Choices) != 1 {
			t.Fatalf("chunk %s", chunk.RawJSON())
		}
		text.WriteString(chunk.Choices[0].Text)
		tokens = append(tokens, chunk.Choices[0].Logprobs.Tokens...)
		if f := chunk.Choices[0].FinishReason; f != "" {
			finish = string(f)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != choice.Text || !slices.Equal(tokens, lp.Tokens) || finish != string(choice.FinishReason) {
		t.Errorf("streamed %q %q (%s), not streamed %q %q (%s)", text.String(), tokens, finish, choice.Text, lp.Tokens, choice.FinishReason)
	}
}

func TestCompletionStop(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	params := openai.CompletionNewParams{
		Model:       openai.CompletionNewParamsModel(testModel),
		Prompt:      openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: []int64{128000, 791, 4062, 14198, 39935}},
		MaxTokens:   openai.Int(16),
		Temperature: openai.Float(0),
	}
	free, err := c.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	text := free.Choices[0].Text
	// A stop string from the middle of the free text cuts it there.
	start := len(text) / 2
	for start < len(text) && !utf8.RuneStart(text[start]) {
		start++
	}
	stop := text[start:min(start+3, len(text))]
	for !utf8.ValidString(stop) {
		stop = stop[:len(stop)-1]
	}
	if stop == "" {
		t.Fatalf("no stop string can be cut from %q", text)
	}
	params.Stop = openai.CompletionNewParamsStopUnion{OfStringArray: []string{"never produced \x01", stop}}
	cut, err := c.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	want := text[:strings.Index(text, stop)]
	if got := cut.Choices[0]; got.Text != want || got.FinishReason != "stop" {
		t.Errorf("with stop %q: %q (%s), want %q (stop)", stop, got.Text, got.FinishReason, want)
	}
}

func TestEmbeddings(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	input := openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"The sea is deep.", "Mountains are high.", "The sea is deep."}}
	floats, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: testModel, Input: input, EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat})
	if err != nil {
		t.Fatal(err)
	}
	// The SDK decodes base64 into the same numbers.
	packed, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: testModel, Input: input, EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64})
	if err != nil {
		t.Fatal(err)
	}
	if len(floats.Data) != 3 || len(packed.Data) != 3 || floats.Model != testModel || floats.Usage.PromptTokens == 0 || floats.Usage.TotalTokens != floats.Usage.PromptTokens {
		t.Fatalf("response %s", floats.RawJSON())
	}
	for i, d := range floats.Data {
		var norm float64
		for _, v := range d.Embedding {
			norm += v * v
		}
		if d.Index != int64(i) || d.Object != "embedding" || len(d.Embedding) == 0 || math.Abs(norm-1) > 1e-3 {
			t.Errorf("item %d: index %d, object %q, %d values of norm² %v", i, d.Index, d.Object, len(d.Embedding), norm)
		}
		// JSON carries the float32s in their shortest form, which the SDK
		// reads as float64s: equal once rounded back to float32.
		for j, v := range d.Embedding {
			if float32(v) != float32(packed.Data[i].Embedding[j]) {
				t.Fatalf("item %d value %d: %v as a number, %v in base64", i, j, v, packed.Data[i].Embedding[j])
			}
		}
	}
	if !slices.Equal(floats.Data[0].Embedding, floats.Data[2].Embedding) || slices.Equal(floats.Data[0].Embedding, floats.Data[1].Embedding) {
		t.Error("the same text should embed the same, different texts differently")
	}
}

func TestModels(t *testing.T) {
	s := sharedServer(t)
	c := s.client(testKey)
	ctx := testContext(t)
	list, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 1 || list.Data[0].ID != testModel || list.Data[0].Object != "model" {
		t.Errorf("models %s", list.RawJSON())
	}
	if m, err := c.Models.Get(ctx, testModel); err != nil || m.ID != testModel {
		t.Errorf("get %q: %v %v", testModel, m, err)
	}
	_, err = c.Models.Get(ctx, "gpt-4o")
	checkSDKError(t, err, http.StatusNotFound, "not_found_error")
}

func TestSDKErrors(t *testing.T) {
	s := sharedServer(t)
	ctx := testContext(t)
	c := s.client(testKey)

	params := chatParams(4, 1)
	params.Model = "gpt-4o"
	_, err := c.Chat.Completions.New(ctx, params)
	checkSDKError(t, err, http.StatusNotFound, "not_found_error")

	// Errors before a stream starts are plain HTTP errors.
	stream := c.Chat.Completions.NewStreaming(ctx, params)
	for stream.Next() {
	}
	checkSDKError(t, stream.Err(), http.StatusNotFound, "not_found_error")

	params = chatParams(4, 1)
	params.N = openai.Int(2)
	_, err = c.Chat.Completions.New(ctx, params)
	checkSDKError(t, err, http.StatusBadRequest, "invalid_request_error")

	_, err = s.client("sk-wrong").Chat.Completions.New(ctx, chatParams(4, 1))
	checkSDKError(t, err, http.StatusUnauthorized, "authentication_error")

	// A prompt longer than the context (256 here) is refused, not cut.
	long := strings.Repeat("the sea is deep and wide ", 60)
	_, err = c.Completions.New(ctx, openai.CompletionNewParams{
		Model:  openai.CompletionNewParamsModel(testModel),
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(long)},
	})
	e := checkSDKError(t, err, http.StatusBadRequest, "invalid_request_error")
	if e != nil && (e.Code != "context_length_exceeded" || !strings.Contains(e.Message, "context size of 256")) {
		t.Errorf("long prompt: code %q, message %q", e.Code, e.Message)
	}
}

// checkSDKError fails unless err is an API error with the status and type.
func checkSDKError(t *testing.T, err error, status int, typ string) *openai.Error {
	t.Helper()
	apiErr, ok := errors.AsType[*openai.Error](err)
	if !ok {
		t.Errorf("got %v, want an API error %d %s", err, status, typ)
		return nil
	}
	if apiErr.StatusCode != status || apiErr.Type != typ || apiErr.Message == "" {
		t.Errorf("got %d %q %q, want %d %s", apiErr.StatusCode, apiErr.Type, apiErr.Message, status, typ)
	}
	return apiErr
}

func bytesOf(v []int64) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}
